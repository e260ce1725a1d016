import SpoolKit
import SpoolLayout
import WMCore

extension StageContext {
    /// The agent configuration, read afresh (an operator's edit applies from the next cycle) from
    /// `ProgramInputs.configurationPath`: `--config FILE`, else `<spool>/etc/agent.json`. Missing or
    /// malformed is an error, never the defaults.
    public func agentConfiguration() throws -> AgentConfiguration {
        try AgentConfiguration.load(path: ProgramInputs.configurationPath(explicit: options.configPath, spoolRoot: spool.root))
    }
}
