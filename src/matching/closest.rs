//! What a miss explains: the documented routes closest to a request path
//! that matched none, for the `no-route` problem's `closest` list.

use crate::blueprint::edit_distance;
use crate::contract::{Contract, Endpoint};

/// How much of a request path the closest-route search compares.
const MAX_COMPARED_PATH: usize = 200;

/// Up to three documented routes closest to `path`: most leading segments
/// in common, then the smallest edit distance. Only runs on a miss.
pub fn closest_routes<'c>(contract: &'c Contract, path: &str) -> Vec<&'c Endpoint> {
    // The edit distance is quadratic: bound the request side so a 64 KiB
    // path cannot make a miss expensive (routes are the spec's own).
    let path = match path.char_indices().nth(MAX_COMPARED_PATH) {
        Some((cut, _)) => &path[..cut],
        None => path,
    };
    let wanted: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut scored: Vec<(usize, usize, usize, &Endpoint)> = contract
        .endpoints()
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let shown = e.example_uri.as_deref().unwrap_or(&e.template);
            let shown = shown.split('?').next().unwrap_or(shown);
            let theirs: Vec<&str> = shown.split('/').filter(|s| !s.is_empty()).collect();
            let common = wanted
                .iter()
                .zip(&theirs)
                .take_while(|(a, b)| a == b)
                .count();
            (usize::MAX - common, edit_distance(path, shown), i, e)
        })
        .collect();
    scored.sort_by_key(|&(c, d, i, _)| (c, d, i));
    let mut out: Vec<&Endpoint> = Vec::new();
    for (_, _, _, e) in scored {
        if out.len() == 3 {
            break;
        }
        if !out
            .iter()
            .any(|o| o.template == e.template && o.method == e.method)
        {
            out.push(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routes_sharing_most_leading_segments_come_first_each_once() {
        let (doc, _) = crate::load::parse_bytes(
            "t.apib",
            b"# T\n## A [/users/{id}]\n### GET\n+ Response 200\n### DELETE\n+ Response 204\n## B [/users/{id}/posts]\n### GET\n+ Response 200\n## C [/orders]\n### GET\n+ Response 200\n## D [/health]\n### GET\n+ Response 200\n",
        );
        let (contract, _) = Contract::compile(std::slice::from_ref(&doc));
        let closest: Vec<String> = closest_routes(&contract, "/users/7/post")
            .iter()
            .map(|e| format!("{} {}", e.method, e.template))
            .collect();
        assert_eq!(
            closest,
            [
                "GET /users/{id}/posts",
                "GET /users/{id}",
                "DELETE /users/{id}"
            ]
        );
    }
}
