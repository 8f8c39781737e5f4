//! The sandbox (`serve --sandbox`): the seed's customers and a CRUD
//! fixture keep state across requests, per session, across a restart
//! (`--state-file`) and a reload; the admin API shows and resets it.

use std::sync::Arc;

use apib_mock::{LiveContract, ReloadOutcome, RunningServer, SandboxConfig, ServeConfig};
use reqwest::{Client, Method};
use serde_json::{Value, json};

use crate::support::{self, root};

const SEED: &str = "specs/retailers.apib";
const NOTES: &str = "fixtures/sandbox/notes.apib";
const CUSTOMERS: &str = "/retailers/api/v1/customers";

/// A sandboxed server on one spec file, with the live contract (to
/// reload) at hand.
struct Sandbox {
    server: RunningServer,
    live: Arc<LiveContract>,
    client: Client,
}

fn config(sandbox: SandboxConfig) -> ServeConfig {
    let mut config = ServeConfig::default();
    config.sandbox = Some(sandbox);
    config
}

impl Sandbox {
    fn start(spec: &str) -> Self {
        Self::with(
            &root().join(spec).display().to_string(),
            SandboxConfig::default(),
            false,
        )
    }

    fn with(spec: &str, sandbox: SandboxConfig, strict: bool) -> Self {
        let startup = apib_mock::prepare(&[spec.to_string()], strict, Some("/__mock"))
            .unwrap_or_else(|e| panic!("{spec} serves: {e:?}"));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let live = startup.live.clone();
        let server =
            RunningServer::start_live(listener, startup.live, config(sandbox)).expect("starts");
        Sandbox {
            server,
            live,
            client: Client::new(),
        }
    }

    /// Sends a request (JSON body when given) in `session` (None: the
    /// default one); status, `Apib-Mock-State`, body as JSON (Null when
    /// empty or not JSON).
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        session: Option<&str>,
    ) -> (u16, String, Value) {
        let mut req = self.client.request(method, self.server.url(path));
        if let Some(body) = body {
            req = req.json(&body);
        }
        if let Some(s) = session {
            req = req.header("Apib-Mock-Session", s);
        }
        let res = req.send().await.expect("answered");
        let status = res.status().as_u16();
        let state = res
            .headers()
            .get("apib-mock-state")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            state,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    async fn get(&self, path: &str) -> (u16, String, Value) {
        self.send(Method::GET, path, None, None).await
    }
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|c| c["id"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_seed_customers_are_created_listed_read_and_updated() {
    let sandbox = Sandbox::start(SEED);
    // At first: the customers the examples document (list, get, create).
    let (status, state, list) = sandbox.get(&format!("{CUSTOMERS}?page=1")).await;
    assert_eq!(status, 200);
    assert_eq!(state, "listed customers (3 of 3)");
    assert_eq!(
        ids(&list, "customers"),
        ["4880vesdc3873", "4881ljusi3874", "4882chfxj3875"]
    );
    assert_eq!(list["results"], 3);
    assert_eq!(list["total_pages"], 1);

    // Create: the fields sent (inside the documented `customer` envelope)
    // over the documented example, a new id in the documented style.
    let sent =
        json!({"customer": {"first_name": "Ana", "last_name": "Ríos", "email": "ana@example.com"}});
    let (status, state, created) = sandbox
        .send(Method::POST, CUSTOMERS, Some(sent), None)
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["message"], "Customer created successfully");
    let customer = &created["customer"];
    let id = customer["id"].as_str().expect("a string id").to_string();
    assert_eq!(state, format!("created customers/{id}"));
    assert_eq!(id.len(), "4880vesdc3873".len());
    assert!(id[..4].bytes().all(|b| b.is_ascii_digit()), "{id}");
    assert!(id[4..9].bytes().all(|b| b.is_ascii_lowercase()), "{id}");
    assert_eq!(customer["first_name"], "Ana");
    assert_eq!(customer["email"], "ana@example.com");
    assert_eq!(customer["city"], "Fort Worth", "documented members kept");

    // The list shows it, and counts it.
    let (_, _, list) = sandbox.get(CUSTOMERS).await;
    assert_eq!(ids(&list, "customers").last(), Some(&id));
    assert_eq!(list["results"], 4);
    // Pages: `page` is documented; the page size is the parameter the
    // seed's other lists use (`results_per_page`).
    let (_, state, page) = sandbox
        .get(&format!("{CUSTOMERS}?page=2&results_per_page=3"))
        .await;
    assert_eq!(state, "listed customers (1 of 4)");
    assert_eq!(ids(&page, "customers"), std::slice::from_ref(&id));
    assert_eq!(page["total_pages"], 2);

    // Read it by its new id, in the documented envelope.
    let (status, state, read) = sandbox.get(&format!("{CUSTOMERS}/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(state, format!("read customers/{id}"));
    assert_eq!(read["message"], "Customer found successfully");
    assert_eq!(read["customer"]["last_name"], "Ríos");

    // Update (PUT replaces), then read it back.
    let change =
        json!({"customer": {"first_name": "Ana María", "last_name": "Ríos", "city": "Lima"}});
    let (status, state, updated) = sandbox
        .send(
            Method::PUT,
            &format!("{CUSTOMERS}/{id}"),
            Some(change),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(state, format!("replaced customers/{id}"));
    assert_eq!(updated["message"], "Customer updated successfully");
    let (_, _, read) = sandbox.get(&format!("{CUSTOMERS}/{id}")).await;
    assert_eq!(read["customer"]["first_name"], "Ana María");
    assert_eq!(read["customer"]["city"], "Lima");
    assert_eq!(read["customer"]["id"], id.as_str());
    assert_ne!(
        read["customer"]["email"], "ana@example.com",
        "PUT replaced it"
    );

    // Customer 42 does not exist: the seed documents no 404, so a problem.
    let res = sandbox
        .client
        .get(sandbox.server.url(&format!("{CUSTOMERS}/42")))
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["apib-mock-match"], "sandbox");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let doc: Value = res.json().await.expect("problem+json");
    assert_eq!(doc["type"], "urn:apib-mock:problem:unknown-entity");
    assert_eq!(doc["id"], "42");

    // The seed documents no DELETE: the sandbox does not invent one.
    let (status, _, _) = sandbox
        .send(Method::DELETE, &format!("{CUSTOMERS}/{id}"), None, None)
        .await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn answers_keep_the_documented_member_order() {
    let sandbox = Sandbox::start(SEED);
    let res = sandbox
        .client
        .get(sandbox.server.url(&format!("{CUSTOMERS}/4881ljusi3874")))
        .send()
        .await
        .expect("answered");
    let text = res.text().await.expect("a body");
    let at = |needle: &str| text.find(needle).unwrap_or(usize::MAX);
    assert!(at("\"message\"") < at("\"customer\""), "{text}");
    assert!(at("\"id\"") < at("\"first_name\""), "{text}");
    assert!(at("\"first_name\"") < at("\"last_name\""), "{text}");
}

#[tokio::test]
async fn a_classic_crud_resource_with_integer_ids_patch_delete_and_paging() {
    let sandbox = Sandbox::start(NOTES);
    let (status, state, created) = sandbox
        .send(
            Method::POST,
            "/notes",
            Some(json!({"title": "Buy milk"})),
            None,
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(state, "created notes/4", "the next integer after 1, 2, 3");
    assert_eq!(
        created,
        json!({"id": 4, "title": "Buy milk", "done": false, "tags": []})
    );
    let location = sandbox
        .client
        .post(sandbox.server.url("/notes"))
        .json(&json!({"title": "Walk"}))
        .send()
        .await
        .expect("answered")
        .headers()["location"]
        .clone();
    assert_eq!(
        location, "/notes/5",
        "the documented Location names the new note"
    );

    // A list answer is kept until the notes change (then made again).
    let (_, _, before) = sandbox.get("/notes").await;
    assert_eq!(before[3]["title"], "Buy milk");

    // PATCH merges (RFC 7396: null removes).
    let (status, state, patched) = sandbox
        .send(
            Method::PATCH,
            "/notes/4",
            Some(json!({"done": true, "tags": null})),
            None,
        )
        .await;
    assert_eq!((status, state.as_str()), (200, "updated notes/4"));
    assert_eq!(patched, json!({"id": 4, "title": "Buy milk", "done": true}));
    // PUT replaces (over the documented shape).
    let (_, state, replaced) = sandbox
        .send(
            Method::PUT,
            "/notes/4",
            Some(json!({"title": "Buy oat milk"})),
            None,
        )
        .await;
    assert_eq!(state, "replaced notes/4");
    assert_eq!(
        replaced,
        json!({"id": 4, "title": "Buy oat milk", "done": false, "tags": []})
    );
    let (_, _, after) = sandbox.get("/notes").await;
    assert_eq!(after[3]["title"], "Buy oat milk");

    // Paging as documented (`limit`, `offset`).
    let (_, state, page) = sandbox.get("/notes?limit=2&offset=1").await;
    assert_eq!(state, "listed notes (2 of 5)");
    let got: Vec<i64> = page
        .as_array()
        .expect("a bare array")
        .iter()
        .filter_map(|n| n["id"].as_i64())
        .collect();
    assert_eq!(got, [2, 3]);

    // Delete, then the documented 404.
    let (status, state, _) = sandbox.send(Method::DELETE, "/notes/4", None, None).await;
    assert_eq!((status, state.as_str()), (204, "deleted notes/4"));
    let (status, state, body) = sandbox.get("/notes/4").await;
    assert_eq!((status, state.as_str()), (404, "not-found notes/4"));
    assert_eq!(body, json!({"error": "note not found"}));
    let (_, _, list) = sandbox.get("/notes").await;
    assert_eq!(list.as_array().map(Vec::len), Some(4));

    // Wrapped entities, UUIDs and a nested count member.
    let (status, state, user) = sandbox
        .send(
            Method::POST,
            "/users",
            Some(json!({"user": {"name": "Cy"}})),
            None,
        )
        .await;
    assert_eq!(status, 201);
    let uuid = user["data"]["user"]["uuid"]
        .as_str()
        .expect("a uuid")
        .to_string();
    assert_eq!(uuid.len(), 36);
    assert_eq!(state, format!("created users/{uuid}"));
    assert_eq!(user["data"]["user"]["name"], "Cy");
    let (_, _, users) = sandbox.get("/users").await;
    assert_eq!(users["data"]["total"], 3);
    let (status, _, read) = sandbox.get(&format!("/users/{uuid}")).await;
    assert_eq!(status, 200);
    assert_eq!(read["data"]["user"]["name"], "Cy");

    // A body that is not an object cannot be stored.
    let (status, _, _) = sandbox
        .send(Method::POST, "/notes", Some(json!([1, 2])), None)
        .await;
    assert_eq!(status, 400);
    // The journal keeps what the sandbox did.
    let journal: Value = sandbox
        .client
        .get(sandbox.server.url("/__mock/requests?method=DELETE"))
        .send()
        .await
        .expect("journal")
        .json()
        .await
        .expect("JSON");
    assert_eq!(journal["requests"][0]["sandbox"], "deleted notes/4");
    // Routes that are no collection answer as documented.
    let res = sandbox
        .client
        .get(sandbox.server.url("/health"))
        .send()
        .await
        .expect("answered");
    assert!(res.headers().get("apib-mock-state").is_none());
}

#[tokio::test]
async fn sessions_do_not_see_each_other_and_the_admin_api_shows_and_resets_them() {
    let sandbox = Sandbox::start(NOTES);
    let a = Some("test-a");
    let (_, state, _) = sandbox
        .send(
            Method::POST,
            "/notes",
            Some(json!({"title": "only in a"})),
            a,
        )
        .await;
    assert_eq!(state, "created notes/4");
    let count = |list: Value| list.as_array().map_or(0, Vec::len);
    assert_eq!(
        count(sandbox.send(Method::GET, "/notes", None, a).await.2),
        4
    );
    assert_eq!(
        count(sandbox.get("/notes").await.2),
        3,
        "the default session"
    );
    assert_eq!(
        count(
            sandbox
                .send(Method::GET, "/notes", None, Some("test-b"))
                .await
                .2
        ),
        3
    );
    // A cookie names a session too.
    let res = sandbox
        .client
        .get(sandbox.server.url("/notes/4"))
        .header("Cookie", "theme=dark; apib-mock-session=test-a")
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 200);

    let state: Value = sandbox
        .client
        .get(sandbox.server.url("/__mock/state?session=test-a"))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        state["sessions"]["test-a"]["notes"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    assert_eq!(state["collections"][0]["name"], "notes");

    // Reset one session: back to the documented notes; the other keeps.
    let res = sandbox
        .client
        .delete(sandbox.server.url("/__mock/state?session=test-a"))
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 200);
    assert_eq!(
        count(sandbox.send(Method::GET, "/notes", None, a).await.2),
        3
    );
    let (status, _, _) = sandbox.send(Method::GET, "/notes/4", None, a).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn sessions_and_bytes_are_bounded() {
    let mut limits = SandboxConfig::default();
    limits.max_sessions = 2;
    limits.max_bytes = 2_000;
    let spec = root().join(NOTES).display().to_string();
    let sandbox = Sandbox::with(&spec, limits, false);
    for s in ["one", "two"] {
        let (status, _, _) = sandbox.send(Method::GET, "/notes", None, Some(s)).await;
        assert_eq!(status, 200);
    }
    let res = sandbox
        .client
        .get(sandbox.server.url("/notes"))
        .header("Apib-Mock-Session", "three")
        .send()
        .await
        .expect("answered");
    let doc = support::problem(res, 507, "sandbox-full").await;
    assert!(
        doc["detail"]
            .as_str()
            .unwrap_or("")
            .contains("--max-sessions")
    );
    // Big entities until the bytes run out: refused, nothing half-stored.
    let big = "x".repeat(600);
    let mut refused = false;
    for _ in 0..5 {
        let (status, _, _) = sandbox
            .send(
                Method::POST,
                "/notes",
                Some(json!({"title": big})),
                Some("one"),
            )
            .await;
        if status == 507 {
            refused = true;
            break;
        }
        assert_eq!(status, 201);
    }
    assert!(refused, "the byte limit refused a create");
    // Deleting frees the bytes again.
    let (status, _, _) = sandbox
        .send(Method::DELETE, "/notes/4", None, Some("one"))
        .await;
    assert_eq!(status, 204);
    let (status, _, _) = sandbox
        .send(
            Method::POST,
            "/notes",
            Some(json!({"title": big})),
            Some("one"),
        )
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn strict_mode_validates_before_the_sandbox_stores_anything() {
    let spec = root().join(NOTES).display().to_string();
    let sandbox = Sandbox::with(&spec, SandboxConfig::default(), true);
    let (status, state, _) = sandbox
        .send(
            Method::POST,
            "/notes",
            Some(json!({"title": 7, "done": "no"})),
            None,
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(state, "", "the sandbox never saw it");
    let (_, _, list) = sandbox.get("/notes").await;
    assert_eq!(list.as_array().map(Vec::len), Some(3));
    let (status, state, _) = sandbox
        .send(
            Method::POST,
            "/notes",
            Some(json!({"title": "ok", "done": false, "tags": []})),
            None,
        )
        .await;
    assert_eq!((status, state.as_str()), (201, "created notes/4"));
}

#[tokio::test]
async fn the_state_file_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("sandbox.json");
    let spec = root().join(SEED).display().to_string();
    let mut settings = SandboxConfig::default();
    settings.state_file = Some(file.clone());
    let first = Sandbox::with(&spec, settings.clone(), false);
    let (_, _, created) = first
        .send(
            Method::POST,
            CUSTOMERS,
            Some(json!({"customer": {"first_name": "Persisted"}})),
            Some("ci-1"),
        )
        .await;
    let id = created["customer"]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    // Stopping writes what is pending.
    first.server.shutdown().await;
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("written")).expect("JSON");
    assert_eq!(saved["format"], "apib-mock sandbox state");
    assert!(!dir.path().join("sandbox.json.tmp").exists());

    let second = Sandbox::with(&spec, settings, false);
    let (status, _, read) = second
        .send(
            Method::GET,
            &format!("{CUSTOMERS}/{id}"),
            None,
            Some("ci-1"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(read["customer"]["first_name"], "Persisted");
    let (status, _, _) = second.get(&format!("{CUSTOMERS}/{id}")).await;
    assert_eq!(status, 404, "only in its session");
}

#[tokio::test]
async fn a_file_that_is_not_a_state_file_is_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("sandbox.json");
    std::fs::write(&file, "my notes, not JSON").expect("written");
    let mut settings = SandboxConfig::default();
    settings.state_file = Some(file.clone());
    let spec = root().join(NOTES).display().to_string();
    let sandbox = Sandbox::with(&spec, settings, false);
    let (status, _, _) = sandbox
        .send(Method::POST, "/notes", Some(json!({"title": "t"})), None)
        .await;
    assert_eq!(status, 201);
    sandbox.server.shutdown().await;
    assert_eq!(
        std::fs::read_to_string(&file).expect("still there"),
        "my notes, not JSON"
    );
}

#[tokio::test]
async fn a_reload_keeps_the_state_unless_the_shape_changed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notes.apib");
    let original = std::fs::read_to_string(root().join(NOTES)).expect("fixture");
    std::fs::write(&path, &original).expect("written");
    let sandbox = Sandbox::with(&path.display().to_string(), SandboxConfig::default(), false);
    let (_, state, _) = sandbox
        .send(Method::POST, "/notes", Some(json!({"title": "kept"})), None)
        .await;
    assert_eq!(state, "created notes/4");

    let reload = |text: String| {
        let live = sandbox.live.clone();
        let path = path.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                std::fs::write(&path, text).expect("written");
                live.reload()
            })
            .await
            .expect("reloaded")
        }
    };
    // An edit that leaves the notes' shape alone keeps them.
    let outcome = reload(original.replace("Check [GET]", "Check health [GET]")).await;
    let ReloadOutcome::Reloaded { record, .. } = outcome else {
        panic!("served: {outcome:?}");
    };
    assert!(record.notes.is_empty(), "{:?}", record.notes);
    let (status, _, note) = sandbox.get("/notes/4").await;
    assert_eq!(status, 200);
    assert_eq!(note["title"], "kept");

    // A new member in the notes' examples changes their shape: re-seeded,
    // and the reload says so.
    let outcome = reload(original.replace(
        "{\"id\": 1, \"title\": \"Groceries\", \"done\": false, \"tags\": [\"home\"]}\n\n+ Response 404",
        "{\"id\": 1, \"title\": \"Groceries\", \"done\": false, \"tags\": [\"home\"], \"color\": \"red\"}\n\n+ Response 404",
    ))
    .await;
    let ReloadOutcome::Reloaded { record, .. } = outcome else {
        panic!("served: {outcome:?}");
    };
    assert_eq!(
        record.notes,
        ["sandbox: notes re-seeded (its entities' shape changed)"]
    );
    let (status, _, _) = sandbox.get("/notes/4").await;
    assert_eq!(status, 404);
}

/// The same flow on a public example with a classic CRUD resource (HAL
/// envelopes, string ids, PATCH and DELETE).
#[tokio::test]
async fn the_gist_fox_example_is_a_crud_sandbox() {
    let Some(shared) = support::shared() else {
        return;
    };
    let spec = shared.join("corpus/api-blueprint-examples/gist-fox-api.apib");
    let sandbox = Sandbox::with(&spec.display().to_string(), SandboxConfig::default(), false);
    let (status, state, created) = sandbox
        .send(
            Method::POST,
            "/gists",
            Some(json!({"description": "Sandbox", "content": "hello"})),
            None,
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        state, "created gists/43",
        "ids are integers written as text"
    );
    assert_eq!(created["id"], "43");
    let (_, _, list) = sandbox.get("/gists").await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["_embedded"]["gists"][1]["description"], "Sandbox");
    let (status, _, _) = sandbox
        .send(
            Method::PATCH,
            "/gists/43",
            Some(json!({"content": "bye"})),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (_, _, read) = sandbox.get("/gists/43").await;
    assert_eq!(read["content"], "bye");
    assert_eq!(read["description"], "Sandbox");
    let (status, _, _) = sandbox.send(Method::DELETE, "/gists/43", None, None).await;
    assert_eq!(status, 204);
    let (status, state, _) = sandbox.get("/gists/43").await;
    assert_eq!((status, state.as_str()), (404, "not-found gists/43"));
}

#[test]
fn routes_says_which_collections_the_sandbox_keeps() {
    let out = support::run(&["routes", "--sandbox", SEED]);
    assert!(out.status.success());
    let text = support::stdout(&out);
    assert!(text.contains("sandbox: 1 collection keeps state"), "{text}");
    assert!(
        text.contains("customers /retailers/api/v1/customers: list, create, read, replace"),
        "{text}"
    );
    assert!(
        text.contains("GET /retailers/api/v1/agents: nothing documented changes it"),
        "{text}"
    );
    let out = support::run(&["routes", "--sandbox", "--json", NOTES]);
    let doc: Value = serde_json::from_str(&support::stdout(&out)).expect("JSON");
    assert_eq!(doc["collections"][0]["id_style"], "integer");
    assert_eq!(doc["collections"][1]["request_envelope"], json!(["user"]));
    assert_eq!(doc["plain"][0]["route"], "GET /health");
}
