//! A browser for the web pages' stack tests: it keeps its cookies (and checks every cookie the
//! pages set is HttpOnly, Secure and SameSite=Lax), comes from one client address, asks the pages
//! through [`Routes`] at a given time, and signs in the way a person does, with the link read back
//! from the local SES.

use std::collections::BTreeMap;
use std::net::IpAddr;

use clinic::functions::http::{ClientAddress, Routes};
use lambda_http::http::{Method, header};
use lambda_http::{Body, Request};

use crate::received_mail;

/// What a page answered.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub content_type: String,
    pub body: String,
}

pub struct Browser<'a> {
    routes: &'a Routes,
    pub cookies: BTreeMap<String, String>,
    client: IpAddr,
    /// The time of the requests that name none (Unix seconds).
    clock: Option<i64>,
}

impl<'a> Browser<'a> {
    /// A browser without cookies at `client` (an IP address).
    pub fn new(routes: &'a Routes, client: &str) -> Self {
        Self {
            routes,
            cookies: BTreeMap::new(),
            client: client.parse().expect("a client IP address"),
            clock: None,
        }
    }

    /// Every request that names no time is made at `epoch` (Unix seconds).
    pub fn at(mut self, epoch: i64) -> Self {
        self.clock = Some(epoch);
        self
    }

    fn now(&self) -> i64 {
        self.clock
            .expect("a browser made with .at(time) for requests that name none")
    }

    pub async fn send_at(&mut self, method: Method, path: &str, body: Body, epoch: i64) -> Answer {
        let mut request = Request::new(body);
        *request.method_mut() = method;
        *request.uri_mut() = path.parse().unwrap();
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !cookie.is_empty() {
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.join("; ").parse().unwrap());
        }
        request.extensions_mut().insert(ClientAddress(self.client));
        let at = jiff::Timestamp::from_second(epoch).unwrap();
        let response = self.routes.dispatch_at(request, at).await;
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age="] {
                assert!(set.contains(attribute), "{set} lacks {attribute}");
            }
            let (pair, _) = set.split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if set.contains("Max-Age=0;") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let text = |name| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        Answer {
            status: response.status().as_u16(),
            location: text(header::LOCATION),
            content_type: text(header::CONTENT_TYPE).unwrap_or_default(),
            body: String::from_utf8_lossy(response.body().as_ref()).into_owned(),
        }
    }

    pub async fn get_at(&mut self, path: &str, epoch: i64) -> Answer {
        self.send_at(Method::GET, path, Body::Empty, epoch).await
    }

    pub async fn post_at(&mut self, path: &str, fields: &[(&str, &str)], epoch: i64) -> Answer {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.send_at(Method::POST, path, Body::from(body), epoch)
            .await
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        self.get_at(path, self.now()).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_at(path, fields, self.now()).await
    }

    /// Asks for a link for `address` through the form, as a person would.
    pub async fn ask_for_link(&mut self, address: &str, epoch: i64) -> Answer {
        let form = self.get_at("/signin", epoch).await;
        assert_eq!(form.status, 200);
        let csrf = csrf(&form.body);
        self.post_at("/signin", &[("email", address), ("csrf", &csrf)], epoch)
            .await
    }

    /// Opens the mailed link and presses its button.
    pub async fn redeem(&mut self, link_token: &str, epoch: i64) -> Answer {
        let page = self
            .get_at(&format!("/signin/link?token={link_token}"), epoch)
            .await;
        assert_eq!(page.status, 200);
        let csrf = csrf(&page.body);
        self.post_at(
            "/signin/link",
            &[("token", link_token), ("csrf", &csrf)],
            epoch,
        )
        .await
    }

    /// Signs in as `address`: the form, the link read from the local SES, its button. Returns the
    /// button's answer (a 303 with the session cookie set).
    pub async fn sign_in(&mut self, address: &str, epoch: i64) -> Answer {
        let asked = self.ask_for_link(address, epoch).await;
        assert_eq!(asked.status, 200, "{}", asked.body);
        let token = mailed_token(address).await;
        let signed_in = self.redeem(&token, epoch).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        assert!(self.cookies.contains_key("clinic_session"));
        signed_in
    }
}

/// The CSRF token of the page's (first) form.
pub fn csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no CSRF token in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The mails the local SES accepted for `address`, soft line breaks and `=3D` undone.
pub async fn mails_to(address: &str) -> Vec<String> {
    received_mail()
        .await
        .into_iter()
        .filter(|m| m.destinations.iter().any(|d| d == address))
        .map(|m| m.raw.replace("=\r\n", "").replace("=3D", "="))
        .collect()
}

/// The token of the last sign-in link mailed to `address`.
pub async fn mailed_token(address: &str) -> String {
    let mails = mails_to(address).await;
    let mail = mails
        .last()
        .unwrap_or_else(|| panic!("no mail to {address}"));
    let start = mail.find("?token=").expect("a link in the mail") + "?token=".len();
    mail[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '&')
        .next()
        .unwrap()
        .to_owned()
}
