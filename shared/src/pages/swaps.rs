//! *Swaps*: the reader's own requests, the ones offered to them (or waiting for their approval), and
//! the form to ask for cover or a swap of one of their coming weeks; and one request's page with the
//! buttons that fit its reader (Accept, Approve / Decline, Withdraw). Every value escaped.

use std::fmt::Write as _;

use crate::mail::escape_html;
use crate::rotation::roster::{IanaTimeZone, readable};
use crate::swaps::{SwapKind, SwapRequest, SwapState};

pub const PATH: &str = crate::swaps::LIST_PATH;
/// API Gateway's routes of one request and its buttons.
pub const REQUEST_ROUTE: &str = "/swaps/{id}";
pub const ACCEPT_ROUTE: &str = "/swaps/{id}/accept";
pub const APPROVE_ROUTE: &str = "/swaps/{id}/approve";
pub const DECLINE_ROUTE: &str = "/swaps/{id}/decline";
pub const WITHDRAW_ROUTE: &str = "/swaps/{id}/withdraw";

/// A coming week, as the form offers it.
pub struct ComingWeek {
    pub rotation: String,
    pub week: String,
    pub start: jiff::Timestamp,
    /// Who serves it (the reader's own weeks: the reader).
    pub person: String,
}

/// What the list page shows.
pub struct SwapList<'a> {
    pub mine: &'a [SwapRequest],
    pub offered: &'a [SwapRequest],
    pub my_weeks: &'a [ComingWeek],
    pub other_weeks: &'a [ComingWeek],
    pub csrf: &'a str,
    /// A person's id to their name.
    pub name: &'a dyn Fn(&str) -> String,
    /// The reader's zone (UTC without one): every time on the page is shown in it.
    pub zone: Option<&'a IanaTimeZone>,
}

/// An instant in the reader's zone, with the instant itself for machines.
fn time(at: jiff::Timestamp, zone: Option<&IanaTimeZone>) -> String {
    format!(
        "<time datetime=\"{at}\">{}</time>",
        escape_html(&readable(at, zone))
    )
}

fn zone_line(out: &mut String, zone: Option<&IanaTimeZone>) {
    let _ = writeln!(
        out,
        "<p class=\"muted\">Times are in {}.</p>",
        escape_html(zone.map_or("UTC", |z| z.name()))
    );
}

fn state_words(state: SwapState) -> &'static str {
    match state {
        SwapState::Open => "open: waiting for someone to accept",
        SwapState::Accepted => "accepted, being applied",
        SwapState::AwaitingApproval => "accepted, waiting for the approver",
        SwapState::Approved => "approved, being applied",
        SwapState::Declined => "declined by the approver",
        SwapState::Applied => "applied",
        SwapState::Expired => "expired",
        SwapState::Withdrawn => "withdrawn",
    }
}

fn summary(request: &SwapRequest, name: &dyn Fn(&str) -> String) -> String {
    format!(
        "{} in {}, asked by {}",
        escape_html(&request.kind.describe()),
        escape_html(&request.rotation),
        escape_html(&name(&request.requester))
    )
}

fn request_list(out: &mut String, requests: &[SwapRequest], name: &dyn Fn(&str) -> String) {
    out.push_str("<ul class=\"weeks\">\n");
    for request in requests {
        let _ = writeln!(
            out,
            "<li><a href=\"{PATH}/{}\">{}</a> <span class=\"muted\">· {}</span></li>",
            escape_html(request.id.as_str()),
            summary(request, name),
            state_words(request.state)
        );
    }
    out.push_str("</ul>\n");
}

fn week_option(
    week: &ComingWeek,
    with_person: bool,
    name: &dyn Fn(&str) -> String,
    zone: Option<&IanaTimeZone>,
) -> String {
    let value = format!("{}/{}", week.rotation, week.week);
    let person = if with_person {
        format!(" · {}", name(&week.person))
    } else {
        String::new()
    };
    format!(
        "<option value=\"{}\">{} {} (from {}){}</option>",
        escape_html(&value),
        escape_html(&week.rotation),
        escape_html(&week.week),
        escape_html(&readable(week.start, zone)),
        escape_html(&person)
    )
}

pub fn list(page: &SwapList<'_>) -> String {
    let csrf = escape_html(page.csrf);
    let mut out = String::new();
    out.push_str("<section aria-labelledby=\"offered\"><h2 id=\"offered\">Offered to you</h2>\n");
    if page.offered.is_empty() {
        out.push_str("<p>Nothing is offered to you or waiting for your approval.</p>\n");
    } else {
        request_list(&mut out, page.offered, page.name);
    }
    out.push_str(
        "</section>\n<section aria-labelledby=\"mine\"><h2 id=\"mine\">Your requests</h2>\n",
    );
    if page.mine.is_empty() {
        out.push_str("<p>You have asked for nothing in the coming weeks.</p>\n");
    } else {
        request_list(&mut out, page.mine, page.name);
    }
    out.push_str("</section>\n<section aria-labelledby=\"ask\"><h2 id=\"ask\">Ask for cover or a swap</h2>\n");
    zone_line(&mut out, page.zone);
    if page.my_weeks.is_empty() {
        out.push_str("<p>You are not on duty in the coming weeks.</p>\n</section>\n");
        return out;
    }
    let _ = write!(
        out,
        "<form method=\"post\" action=\"{PATH}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <p><label for=\"week\">Your week</label> <select id=\"week\" name=\"week\">"
    );
    for week in page.my_weeks {
        out.push_str(&week_option(week, false, page.name, page.zone));
    }
    out.push_str(
        "</select></p>\
         <fieldset><legend>What you ask for</legend>\
         <p><input type=\"radio\" id=\"kind-cover\" name=\"kind\" value=\"cover\" checked> \
         <label for=\"kind-cover\" class=\"inline\">Cover: someone takes my week</label></p>\
         <p><input type=\"radio\" id=\"kind-swap\" name=\"kind\" value=\"swap\"> \
         <label for=\"kind-swap\" class=\"inline\">Swap: I take this other week instead</label></p>\
         </fieldset>\
         <p><label for=\"with\">The other week, for a swap</label> <select id=\"with\" name=\"with\">\
         <option value=\"\">(none)</option>",
    );
    for week in page.other_weeks {
        out.push_str(&week_option(week, true, page.name, page.zone));
    }
    out.push_str(
        "</select></p>\
         <p><label for=\"note\">A note for those asked (optional)</label> \
         <input id=\"note\" name=\"note\" maxlength=\"500\" size=\"40\"></p>\
         <p><button type=\"submit\">Ask</button></p></form>\n\
         <p class=\"muted\">It is offered by mail to exactly the people the rotation's rules allow that \
         week; the first to accept takes it.</p></section>\n",
    );
    out
}

/// Which buttons a reader gets on a request.
pub struct Buttons {
    pub accept: bool,
    pub approve: bool,
    pub decline: bool,
    pub withdraw: bool,
}

fn button(out: &mut String, id: &str, action: &str, label: &str, csrf: &str) {
    let _ = write!(
        out,
        "<form method=\"post\" action=\"{PATH}/{id}/{action}\" class=\"inline\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\">{label}</button></form> "
    );
}

/// How one request's page reads: the reader's buttons, their zone, and what the last button did.
pub struct Detail<'a> {
    pub buttons: &'a Buttons,
    pub csrf: &'a str,
    /// A person's id to their name.
    pub name: &'a dyn Fn(&str) -> String,
    /// The reader's zone (UTC without one).
    pub zone: Option<&'a IanaTimeZone>,
    /// Said first.
    pub notice: Option<&'a str>,
}

/// One request's page.
pub fn detail(request: &SwapRequest, page: &Detail<'_>) -> String {
    let Detail {
        buttons,
        csrf,
        name,
        zone,
        notice,
    } = *page;
    let mut out = String::new();
    if let Some(notice) = notice {
        let _ = writeln!(
            out,
            "<p class=\"note\" role=\"status\">{}</p>",
            escape_html(notice)
        );
    }
    let (what, weeks) = match request.kind {
        SwapKind::Cover { week } => ("Cover", week.to_string()),
        SwapKind::Swap { week, with_week } => ("Swap", format!("{week} with {with_week}")),
    };
    let person = |id: Option<&str>| id.map_or_else(|| "nobody yet".to_owned(), name);
    let _ = write!(
        out,
        "<section class=\"duty\" aria-labelledby=\"request\"><h2 id=\"request\">{what} · {} {}</h2><dl>\
         <dt>Asked by</dt><dd>{}</dd>\
         <dt>State</dt><dd>{}</dd>\
         <dt>Offered to</dt><dd>{}</dd>\
         <dt>Taken by</dt><dd>{}</dd>",
        escape_html(&request.rotation),
        escape_html(&weeks),
        escape_html(&name(&request.requester)),
        state_words(request.state),
        escape_html(
            &request
                .offered
                .iter()
                .map(|p| name(p))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        escape_html(&person(request.accepted_by.as_deref())),
    );
    if let Some(approver) = &request.approver {
        let _ = write!(
            out,
            "<dt>Approver</dt><dd>{}</dd>",
            escape_html(&name(approver))
        );
    }
    let _ = write!(
        out,
        "<dt>Week starts</dt><dd>{}</dd><dt>Closes</dt><dd>{}</dd>",
        time(request.week_starts, zone),
        time(request.closes_at, zone),
    );
    if !request.note.is_empty() {
        let _ = write!(out, "<dt>Note</dt><dd>{}</dd>", escape_html(&request.note));
    }
    out.push_str("</dl></section>\n");
    zone_line(&mut out, zone);
    let csrf = escape_html(csrf);
    let id = escape_html(request.id.as_str());
    if buttons.decline && !buttons.approve {
        out.push_str(
            "<p class=\"note\">You are the rotation's approver and one of this swap's two people: \
             nobody approves a change to their own duty, so you can decline it but not approve it. \
             An operator can apply it, or it expires.</p>\n",
        );
    }
    if buttons.accept || buttons.approve || buttons.decline || buttons.withdraw {
        out.push_str("<p>");
        if buttons.accept {
            button(&mut out, &id, "accept", "Accept", &csrf);
        }
        if buttons.approve {
            button(&mut out, &id, "approve", "Approve", &csrf);
        }
        if buttons.decline {
            button(&mut out, &id, "decline", "Decline", &csrf);
        }
        if buttons.withdraw {
            button(&mut out, &id, "withdraw", "Withdraw", &csrf);
        }
        out.push_str("</p>\n");
    }
    let _ = writeln!(out, "<p><a href=\"{PATH}\">All swaps</a></p>");
    out
}

/// A page saying why nothing was done, with the way back.
pub fn cannot(reason: &str) -> String {
    format!(
        "<p class=\"note\" role=\"alert\">{}</p><p><a href=\"{PATH}\">Back to swaps</a></p>",
        escape_html(reason)
    )
}

/// What the form's `week` / `with` field names: `<rotation>/<iso week>`.
pub fn parse_week(value: &str) -> Option<(String, crate::rotation::calendar::IsoWeek)> {
    let (rotation, week) = value.split_once('/')?;
    if rotation.is_empty() {
        return None;
    }
    Some((rotation.to_owned(), week.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_names_a_week_as_rotation_and_iso_week_and_nothing_else() {
        let (rotation, week) = parse_week("ops/2027-W03").unwrap();
        assert_eq!(
            (rotation.as_str(), week.to_string().as_str()),
            ("ops", "2027-W03")
        );
        for bad in [
            "",
            "ops",
            "/2027-W03",
            "ops/2027-W99",
            "ops/x",
            "ops/2027-W03/x",
        ] {
            assert!(parse_week(bad).is_none(), "{bad:?}");
        }
    }
}
