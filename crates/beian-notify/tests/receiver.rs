//! Posting to a webhook receiver the test runs on loopback: the robots' formats, retries on
//! 5xx, a refusal in the answer's JSON, and an address where nothing listens.
#![expect(clippy::unwrap_used)] // Test set-up: a failure here is a failed test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use beian_notify::{Format, Notifier, NotifyError, body};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// A receiver answering each request with the next of `answers` (status, body); it records
/// every request line and body.
async fn receiver(answers: Vec<(u16, &'static str)>) -> (Url, Arc<Mutex<Vec<(String, Value)>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        for (status, answer) in answers {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head_end, length) = loop {
                let n = sock.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..n]);
                if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..p]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    break (p + 4, length);
                }
            };
            while buf.len() < head_end + length {
                let n = sock.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..n]);
            }
            let line =
                String::from_utf8_lossy(&buf[..buf.iter().position(|&b| b == b'\r').unwrap()])
                    .into_owned();
            let body: Value = serde_json::from_slice(&buf[head_end..head_end + length]).unwrap();
            log.lock().unwrap().push((line, body));
            let reply = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
            sock.write_all(reply.as_bytes()).await.unwrap();
        }
    });
    let url = Url::parse(&format!("http://{addr}/robot/send?access_token=secret")).unwrap();
    (url, seen)
}

fn notifier() -> Notifier {
    Notifier::new(Vec::new(), &[])
        .unwrap()
        .backoff(Duration::from_millis(10))
}

#[tokio::test]
async fn one_dingtalk_message_is_delivered() {
    let (url, seen) = receiver(vec![(200, r#"{"errcode":0,"errmsg":"ok"}"#)]).await;
    let msg = body(Format::DingTalk, "ICP 报告", "**合规 1/6**", &json!({}));
    let d = notifier().post(&url, &msg).await.unwrap();
    assert_eq!((d.attempts, d.status), (1, 200));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "POST /robot/send?access_token=secret HTTP/1.1");
    assert_eq!(seen[0].1["markdown"]["text"], "**合规 1/6**");
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let (url, seen) = receiver(vec![(503, "{}"), (502, "{}"), (200, "{}")]).await;
    let d = notifier()
        .post(&url, &body(Format::Json, "t", "x", &json!({"a": 1})))
        .await
        .unwrap();
    assert_eq!(d.attempts, 3);
    assert_eq!(seen.lock().unwrap().len(), 3);

    let (url, seen) = receiver(vec![(500, "{}"), (500, "{}"), (500, "{}"), (200, "{}")]).await;
    let err = notifier()
        .post(&url, &body(Format::Json, "t", "x", &json!({})))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NotifyError::Failed { attempts: 3, .. }),
        "{err}"
    );
    // The robot's token (in the query) never appears in a message.
    assert!(!err.to_string().contains("secret"), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_refusal_in_the_answer_is_not_retried() {
    let (url, seen) = receiver(vec![(
        200,
        r#"{"errcode":310000,"errmsg":"sign not match"}"#,
    )])
    .await;
    let err = notifier()
        .post(&url, &body(Format::DingTalk, "t", "x", &json!({})))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("sign not match"), "{err}");
    assert!(
        matches!(err, NotifyError::Failed { attempts: 1, .. }),
        "{err}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn nothing_listening_fails_after_the_retries() {
    // A port that was just free: bind, note it, let it go.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/hook")).unwrap();
    let err = notifier()
        .post(&url, &body(Format::Json, "t", "x", &json!({})))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NotifyError::Failed { attempts: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("connecting to 127.0.0.1"), "{err}");
}
