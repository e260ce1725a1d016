import Foundation
import Stages
import WMCore

StageMain.run(program: "wm-workqueue",
              summary: "global queue: assigned requests → elements, element statuses → request statuses; "
                  + "'wm-workqueue local --agent NAME': pull elements into this agent's WMBS",
              example: "wm-workqueue --once && wm-workqueue local --agent agent1 --once",
              extras: [.init("agent", help: "the agent whose local queue runs (with 'local'; default: agentName in etc/agent.json)")]) { options in
    switch options.positional {
    case []: return GlobalWorkQueueStage()
    case ["local"]:
        let agent = try options.extra["agent"] ?? AgentConfiguration.load(path: options.configPath ?? options.spoolPath + "/etc/agent.json").agentName
        return LocalWorkQueueStage(agent: agent)
    default:
        throw CommandFailure(.usage, "wm-workqueue: unexpected arguments \(options.positional); use no argument (global) or 'local --agent NAME'")
    }
}
