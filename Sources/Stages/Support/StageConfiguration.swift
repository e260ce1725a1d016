import SpoolKit
import WMCore

extension StageContext {
    /// The agent configuration: `--config FILE`, else `<spool>/etc/agent.json`, else the defaults.
    public func agentConfiguration() throws -> AgentConfiguration {
        try AgentConfiguration.load(path: options.configPath ?? spool.path("etc/agent.json"))
    }
}
