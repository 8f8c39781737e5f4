//! The body of an answer as a connection sends it.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::sync::mpsc;

use super::network::Dribble;

/// An answer's body as the connection sends it: whole (every answer but
/// a throttled one or an event stream), dribbled, or events. One enum, so
/// the plain answer pays a `match` per frame and nothing else.
#[derive(Debug)]
pub(crate) enum AnswerBody {
    /// The whole body at once.
    Whole(Full<Bytes>),
    /// A body sent at a set rate.
    Dribbled(Dribble),
    /// Server-sent events, until the page goes or the server stops.
    Events(mpsc::Receiver<Bytes>),
    /// A backend's answer (`--proxy`), as it comes.
    Proxied(Incoming),
}

/// A body other than the whole one, riding on an answer (whose type is
/// `Response<Full<Bytes>>` everywhere before the connection) to the
/// connection, which sends it instead ([`take`]).
#[derive(Debug, Clone)]
struct Replaced(Arc<Mutex<Option<AnswerBody>>>);

/// Makes `body` the body `res` is sent with.
pub(crate) fn replace(res: &mut Response<Full<Bytes>>, body: AnswerBody) {
    res.extensions_mut()
        .insert(Replaced(Arc::new(Mutex::new(Some(body)))));
}

/// The body [`replace`] gave `res`, if any (taken off it).
pub(crate) fn take(res: &mut Response<Full<Bytes>>) -> Option<AnswerBody> {
    let Replaced(body) = res.extensions_mut().remove::<Replaced>()?;
    body.lock().ok()?.take()
}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            // `Infallible` into the error type: no code at run time.
            AnswerBody::Whole(full) => Pin::new(full)
                .poll_frame(cx)
                .map(|f| f.map(|f| f.map_err(|never| match never {}))),
            AnswerBody::Dribbled(dribble) => dribble
                .poll(cx)
                .map(|f| f.map(|f| f.map_err(|never| match never {}))),
            AnswerBody::Events(events) => {
                events.poll_recv(cx).map(|e| e.map(|b| Ok(Frame::data(b))))
            }
            AnswerBody::Proxied(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            AnswerBody::Whole(full) => full.is_end_stream(),
            AnswerBody::Dribbled(dribble) => dribble.is_done(),
            AnswerBody::Events(_) => false,
            AnswerBody::Proxied(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            AnswerBody::Whole(full) => full.size_hint(),
            AnswerBody::Dribbled(dribble) => SizeHint::with_exact(dribble.remaining()),
            AnswerBody::Events(_) => SizeHint::default(),
            AnswerBody::Proxied(body) => body.size_hint(),
        }
    }
}
