//! The pages people open in a browser, rendered on the server: one layout with landmarks, one small
//! stylesheet, no script. What they show comes from the domain (the brief's duty for *now*, the
//! unverified maintenances for *maintenance*); this module only writes HTML, every value escaped.

pub mod ahead;
pub mod calendars;
pub mod maintenance;
pub mod mine;
pub mod notices;
pub mod now;
pub mod signin;
pub mod swaps;

use crate::mail::escape_html;

/// The one stylesheet (served at [`STYLESHEET_PATH`]): system fonts, readable on a phone, contrast
/// above WCAG AA (text #1a1a1a on #ffffff is 17:1, links #0b4f9c 8:1, muted #4a4a4a 9:1).
pub const STYLESHEET: &str = include_str!("style.css");
pub const STYLESHEET_PATH: &str = "/style.css";

/// A signed-in reader, as the header shows them: their name and the sign-out form's CSRF token.
pub struct Reader<'a> {
    pub name: &'a str,
    pub csrf: &'a str,
}

/// Where the layout's main content starts: the notice banner goes right after it.
pub const MAIN_START: &str = "<main id=\"main\">\n";
/// What only a signed-in page's header holds: the pages the banner is added to.
pub const SIGNED_IN_MARK: &str = "action=\"/signout\"";

/// `page` with `banner` at the top of its main content.
pub fn with_banner(page: &str, banner: &str) -> String {
    match page.find(MAIN_START) {
        Some(at) => {
            let at = at + MAIN_START.len();
            format!("{}{banner}\n{}", &page[..at], &page[at..])
        }
        None => page.to_owned(),
    }
}

/// A whole page: `title` in the tab and as the heading, `main` inside the `<main>` landmark.
pub fn page(title: &str, reader: Option<&Reader<'_>>, main: &str) -> String {
    let title = escape_html(title);
    let account = match reader {
        Some(reader) => format!(
            "<form method=\"post\" action=\"/signout\" class=\"signout\">\
             <span>Signed in as {}</span> \
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\">Sign out</button></form>",
            escape_html(reader.name),
            escape_html(reader.csrf)
        ),
        None => String::new(),
    };
    let nav = if reader.is_some() {
        "<nav aria-label=\"Pages\"><ul><li><a href=\"/now\">Now</a></li>\
         <li><a href=\"/ahead\">Ahead</a></li><li><a href=\"/mine\">Mine</a></li>\
         <li><a href=\"/maintenance\">Maintenance</a></li>\
         <li><a href=\"/calendars\">Calendars</a></li>\
         <li><a href=\"/swaps\">Swaps</a></li>\
         <li><a href=\"/notices\">Notices</a></li></ul></nav>"
    } else {
        ""
    };
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · Clinic</title>\n<link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\">\n</head>\n\
         <body>\n<a class=\"skip\" href=\"#main\">Skip to the content</a>\n\
         <header><p class=\"brand\">Clinic</p>{nav}{account}</header>\n\
         {MAIN_START}<h1>{title}</h1>\n{main}\n</main>\n\
         <footer><p>Clinic duty, planned from the roster.</p></footer>\n</body>\n</html>\n"
    )
}
