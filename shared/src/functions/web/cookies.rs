//! The pages' two cookies: the session, and before sign-in the pre-session nonce the forms' CSRF
//! tokens are bound to. Both HttpOnly, Secure, SameSite=Lax, for the whole site.

use lambda_http::http::{HeaderValue, header};
use lambda_http::{Body, Request, Response};

pub const SESSION: &str = "clinic_session";
pub const PRESESSION: &str = "clinic_presession";
/// The pre-session cookie outlives a link by a little.
pub const PRESESSION_SECONDS: i64 = 30 * 60;

/// The value of cookie `name` in the request's `Cookie` headers (the first one).
pub fn cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 512)
}

/// Whether a pre-session value is one we hand out (64 hex digits).
pub fn is_nonce(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Adds a `Set-Cookie`; `max_age` 0 deletes it.
pub fn set_cookie(response: &mut Response<Body>, name: &str, value: &str, max_age: i64) {
    let text = format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax");
    if let Ok(value) = HeaderValue::from_str(&text) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_among_others_and_set_with_every_attribute() {
        let mut request = Request::new(Body::Empty);
        request.headers_mut().insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; clinic_session=v1.x.y; b=2"),
        );
        assert_eq!(cookie(&request, SESSION).as_deref(), Some("v1.x.y"));
        assert_eq!(cookie(&request, PRESESSION), None);
        let mut response = Response::new(Body::Empty);
        set_cookie(&mut response, SESSION, "abc", 60);
        assert_eq!(
            response.headers()[header::SET_COOKIE],
            "clinic_session=abc; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax"
        );
    }
}
