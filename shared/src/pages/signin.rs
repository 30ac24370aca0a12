//! The sign-in pages: the address form, "check your mail" (the same whoever asked), the link's
//! confirmation (a button, so a mail scanner's GET cannot spend the link) and a clear refusal.

use crate::mail::escape_html;

/// The form asking for an address; `csrf` is bound to the pre-session cookie.
pub fn form(csrf: &str, problem: Option<&str>) -> String {
    let problem = problem
        .map(|p| format!("<p class=\"note\" role=\"alert\">{}</p>", escape_html(p)))
        .unwrap_or_default();
    format!(
        "{problem}<p>Clinic mails a sign-in link to the address the roster has for you.</p>\
         <form method=\"post\" action=\"/signin\">\
         <label for=\"email\">Your e-mail address</label>\
         <input type=\"email\" id=\"email\" name=\"email\" autocomplete=\"email\" required>\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <p><button type=\"submit\">Mail me a sign-in link</button></p></form>",
        escape_html(csrf)
    )
}

/// What every address gets, on the roster or not.
pub fn sent() -> String {
    "<p role=\"status\">If that address is on the roster, a sign-in link is on its way. It works once, \
     for 15 minutes.</p><p><a href=\"/signin\">Ask for another link</a></p>"
        .to_owned()
}

/// The link's page: one button that signs in.
pub fn confirm(token: &str, csrf: &str) -> String {
    format!(
        "<p>Sign in to Clinic in this browser?</p>\
         <form method=\"post\" action=\"/signin/link\">\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <p><button type=\"submit\">Sign in</button></p></form>",
        escape_html(token),
        escape_html(csrf)
    )
}

/// A refusal, with what to do next.
pub fn refused(reason: &str) -> String {
    format!(
        "<p class=\"note\" role=\"alert\">{}</p><p><a href=\"/signin\">Ask for a new sign-in link</a></p>",
        escape_html(reason)
    )
}
