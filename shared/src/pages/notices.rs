//! *Notices*: the notice standing, and for allow-listed people the form that posts one (level, text,
//! task, expiry) and the button that clears it. The banner every signed-in page starts with is the
//! brief's notice paragraph (`brief::render::notice_html`).

use std::fmt::Write as _;

use crate::brief::NoticeLine;
use crate::mail::escape_html;

pub const PATH: &str = "/notices";

/// What the page shows.
pub struct NoticePage<'a> {
    pub current: Option<&'a NoticeLine>,
    /// The reader may post (in the roster's `[notices] allow`).
    pub may_post: bool,
    pub csrf: &'a str,
    /// Why the last form was refused, shown above it.
    pub error: Option<&'a str>,
    pub default_hours: u16,
}

/// The banner for the top of `<main>`.
pub fn banner(notice: &NoticeLine) -> String {
    crate::brief::render::notice_html(notice)
}

pub fn main(page: &NoticePage<'_>) -> String {
    let mut out = String::new();
    match page.current {
        Some(notice) => {
            let _ = write!(
                out,
                "<h2>Standing now</h2><p>{}</p>",
                escape_html(&notice.line)
            );
        }
        None => out.push_str("<h2>Standing now</h2><p>No notice stands.</p>"),
    }
    if !page.may_post {
        out.push_str(
            "<p class=\"note\">Only the people in the roster's <code>[notices] allow</code> post \
             notices. Ask the roster's owners to add you.</p>",
        );
        return out;
    }
    if let Some(error) = page.error {
        let _ = write!(
            out,
            "<p class=\"note\" role=\"alert\">Not posted: {}</p>",
            escape_html(error)
        );
    }
    let csrf = escape_html(page.csrf);
    let _ = write!(
        out,
        "<h2>Post a notice</h2>\
         <form method=\"post\" action=\"{PATH}\" class=\"notice-form\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"level\">Level</label>\
         <select id=\"level\" name=\"level\"><option value=\"alert\">Alert: something is broken now</option>\
         <option value=\"notice\">Notice: worth knowing</option></select>\
         <label for=\"text\">Text</label>\
         <input type=\"text\" id=\"text\" name=\"text\" required maxlength=\"200\">\
         <label for=\"task\">Task (optional, like T123)</label>\
         <input type=\"text\" id=\"task\" name=\"task\" pattern=\"T[1-9][0-9]*\">\
         <label for=\"hours\">Stands for how many hours (default {})</label>\
         <input type=\"number\" id=\"hours\" name=\"hours\" min=\"1\" max=\"168\">\
         <p><button type=\"submit\">Post</button></p></form>",
        page.default_hours
    );
    if page.current.is_some() {
        let _ = write!(
            out,
            "<form method=\"post\" action=\"{PATH}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <input type=\"hidden\" name=\"level\" value=\"ok\">\
             <p><button type=\"submit\">OK: clear the notice</button></p></form>"
        );
    }
    out
}
