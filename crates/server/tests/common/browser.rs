//! A browser in miniature for the web UI's HTTP tests: it keeps cookies,
//! does not follow redirects (tests look at them), and reads the CSRF
//! token forms carry.

use super::TestServer;
use pagerbound_core::Role;
use std::collections::BTreeMap;

pub struct Browser {
    base: String,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// The CSRF token of the last page that had a form.
    pub csrf: Option<String>,
}

/// What a request answered.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Browser {
    pub fn new(test: &TestServer) -> Browser {
        Browser {
            base: test.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: BTreeMap::new(),
            csrf: None,
        }
    }

    /// Gives `user` a password with `role` and signs in with it.
    pub async fn signed_in(test: &TestServer, user: &str, role: Role) -> Browser {
        let password = format!("{user}'s long password");
        let state = test.server.as_ref().expect("running").state();
        pagerbound_server::passwords::set(
            state.store.as_ref(),
            &state.config.current().config,
            user,
            &password,
            role,
        )
        .await
        .expect("set password");
        let mut browser = Browser::new(test);
        browser.get("/login").await;
        let answer = browser.sign_in(user, &password).await;
        assert_eq!(answer.status, 303, "signed in: {}", answer.body);
        browser
    }

    /// Posts the sign-in form (the sign-in page must have been loaded).
    pub async fn sign_in(&mut self, user: &str, password: &str) -> Answer {
        let csrf = self.csrf.clone().unwrap_or_default();
        self.post(
            "/login",
            &[("csrf", &csrf), ("user", user), ("password", password)],
        )
        .await
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&mut self, response: reqwest::Response) -> Answer {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().expect("ascii cookie");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let location = headers
            .get("location")
            .map(|l| l.to_str().expect("ascii").to_owned());
        let body = response.text().await.expect("body");
        if let Some(token) = csrf_in(&body) {
            self.csrf = Some(token);
        }
        Answer {
            status,
            location,
            body,
            headers,
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("request");
        self.read(response).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.post_with(path, form, &[]).await
    }

    pub async fn post_with(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        self.read(response).await
    }

    /// Posts a form with the session's CSRF token added.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf.clone().expect("a page with a form was loaded");
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post(path, &form).await
    }
}

/// The value of the first hidden `csrf` field in `html`.
pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}
