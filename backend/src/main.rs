//! The `confab` server binary: read the configuration, run the application.

use confab_backend::telemetry::{self, LogFormat};
use confab_backend::{Application, Settings};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("info", LogFormat::from_env()?);
    let settings = Settings::from_env()?;
    let app = Application::build(settings).await?;
    app.run_until_stopped().await?;
    Ok(())
}
