import Foundation
import Commands
import SpoolLayout
import Stages
import WMCore

StageMain.run(program: "wm-workqueue",
              summary: "global queue: assigned requests → elements, element statuses → request statuses; "
                  + "'wm-workqueue local --agent NAME': pull elements into this agent's WMBS",
              example: "wm-workqueue --once && wm-workqueue local --agent agent1 --once",
              extras: [CommandOption("agent", .text("NAME"), help: "the agent whose local queue runs (with 'local'; default: agentName in etc/agent.json)")],
              arguments: "[local]", positional: 0...1) { options in
    switch options.positional {
    case []:
        guard options.extra["agent"] == nil else { throw CommandFailure(.usage, "wm-workqueue: --agent belongs to 'wm-workqueue local'") }
        return GlobalWorkQueueStage()
    case ["local"]:
        let spool = try ProgramInputs.existingSpool(options.spoolPath, program: "wm-workqueue")
        let agent = try SpoolRoles.agentName(of: spool, requested: options.extra["agent"]) {
            try AgentConfiguration.load(path: ProgramInputs.configurationPath(explicit: options.configPath, spoolRoot: options.spoolPath)).agentName
        }
        return LocalWorkQueueStage(agent: agent)
    default:
        throw CommandFailure(.usage, "wm-workqueue: unexpected arguments \(options.positional); use no argument (global) or 'local --agent NAME'")
    }
}
