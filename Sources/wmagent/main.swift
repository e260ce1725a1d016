import Foundation
import SpoolKit
import Stages
import WMCore

// wmagent: one command for the whole agent.
//   wmagent init [DIR]                 make DIR (default $WM_SPOOL or ./spool) a self-contained spool
//   wmagent run [--once|--watch]       run every stage in pipeline order until quiet (or forever)
let usage = """
    wmagent — run the whole workload-management pipeline on one spool

    Usage:
      wmagent init [DIR]                       make DIR a self-contained spool (never overwrites)
      wmagent run [--once|--watch] [options]   run every stage in pipeline order until the spool is quiet
                                               (--once, the default) or forever (--watch)
    Options (run): --spool DIR, --config FILE, --interval S, --batch N, --log-format text|json, -v,
                   --agent NAME, --stall-timeout S (once: give up after S s without progress; default 900)

    Example:
      wmagent init /tmp/spool && export WM_SPOOL=/tmp/spool
      wmctl request submit etc/examples/TaskChain_MC.json --assign && wmagent run --once
    """

var arguments = Array(CommandLine.arguments.dropFirst())
ProgramMain.run("wmagent") {
    guard let verb = arguments.first else { throw CommandFailure(.usage, usage) }
    arguments.removeFirst()
    switch verb {
    case "init":
        let path = arguments.first ?? ProcessInfo.processInfo.environment["WM_SPOOL"] ?? "spool"
        let created = try AgentSpool.initialize(at: path)
        print("wmagent: spool ready at \(try Spool(root: path).root)" + (created.isEmpty ? " (nothing to add)" : ""))
        for item in created { print("  created \(item)") }
    case "run":
        let options = try StageOptions.parse(arguments, program: "wmagent run", summary: "run every stage", example: "wmagent run --once",
                                             extras: [.init("agent", help: "agent name (default: agentName in etc/agent.json)"),
                                                      .init("stall-timeout", help: "seconds without progress before --once gives up")])
        let log = Logger(component: "wmagent", format: options.logFormat, verbose: options.verbose)
        let spool = try Spool(root: options.spoolPath)
        try AgentSpool.initialize(at: spool.root)
        let context = StageContext(spool: spool, options: options, log: log)
        let config = try context.agentConfiguration()
        var runner = AgentRunner(stages: Pipeline.stages(agent: options.extra["agent"] ?? config.agentName),
                                 stallTimeout: Double(options.extra["stall-timeout"] ?? "") ?? 900)
        let view = LiveView(spool: spool, log: log)
        runner.onPass = { view.show($0) }
        StopSignal.install { sig in log.info("stop requested; finishing the stage in hand", ["signal": String(sig)]) }
        let totals = try runner.run(context: context, watch: options.watch)
        log.info("quiet", totals.filter { $0.value > 0 }.mapValues(String.init))
    case "-h", "--help", "help":
        print(usage)
    default:
        throw CommandFailure(.usage, "wmagent: unknown verb '\(verb)'\n" + usage)
    }
}
