//! The physical limit: a bare axum server built like coffer (same axum, same profile) that
//! answers every POST with a fixed ~200-byte JSON body. No authentication, no storage.

use axum::http::header;
use axum::routing::post;
use axum::Router;

const BODY: &str = r#"{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-AbCdEf","Name":"bench","VersionId":"00000000-0000-0000-0000-000000000001","SecretString":"{\"user\":\"u\",\"pw\":\"p\"}","VersionStages":["AWSCURRENT"]}"#;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8300".into());
    let app = Router::new().route(
        "/",
        post(|| async { ([(header::CONTENT_TYPE, "application/x-amz-json-1.1")], BODY) }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("baseline listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
