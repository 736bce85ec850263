use super::print_diagnostics;
use crate::cli::{CheckFormat, RoutesCommand};
use crate::output::outln;
use anyhow::Result;
use pagerbound_core::Labels;
use serde_json::json;
use std::process::ExitCode;

pub fn run(command: RoutesCommand) -> Result<ExitCode> {
    let RoutesCommand::Test {
        config,
        format,
        labels,
    } = command;
    let loaded = match pagerbound_config::load(&config) {
        Ok(loaded) => loaded,
        Err(rejected) => {
            print_diagnostics(&rejected.diagnostics);
            anyhow::bail!("the configuration at {} has errors", config.display());
        }
    };
    let labels: Labels = labels.into_iter().collect();
    let tree = &loaded.config.routes;
    let matched = tree.matching(&labels);
    match format {
        CheckFormat::Text => {
            outln!("alert {labels}");
            for route in &matched {
                let default = if route.id == tree.id {
                    " (the default route)"
                } else {
                    ""
                };
                outln!(
                    "route {}{default}: service {}, class {}",
                    route.id,
                    route.service,
                    route.class
                );
                outln!(
                    "  group {}: wait {}, interval {}, repeat {}",
                    route.group_labels(&labels),
                    route.timing.group_wait,
                    route.timing.group_interval,
                    route.timing.repeat_interval
                );
            }
        }
        CheckFormat::Json => {
            let routes: Vec<_> = matched
                .iter()
                .map(|route| {
                    json!({
                        "route": route.id,
                        "default": route.id == tree.id,
                        "service": route.service,
                        "class": route.class,
                        "group_key": route.group_key(&labels),
                        "group_wait": route.timing.group_wait,
                        "group_interval": route.timing.group_interval,
                        "repeat_interval": route.timing.repeat_interval,
                    })
                })
                .collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&json!({ "labels": labels, "routes": routes }))?
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
