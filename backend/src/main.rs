//! The `confab` server binary: read the configuration, run the application.

use confab_backend::{Application, Settings, telemetry};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init("info");
    let settings = Settings::from_env()?;
    let app = Application::build(settings).await?;
    app.run_until_stopped().await?;
    Ok(())
}
