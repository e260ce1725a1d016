import Foundation
import SpoolKit
import Stages
import WMCore

// wmagent: one command for the whole agent.
//   wmagent init [DIR]                 make DIR (default $WM_SPOOL or ./spool) a self-contained spool
//   wmagent run [--once|--watch]       run every stage in pipeline order until quiet (or forever)
//   wmagent bench [--jobs N] [--json]  jobs/s of the stages on null payloads (release build)
let usage = """
    wmagent — run the whole workload-management pipeline on one spool

    Usage:
      wmagent init [DIR]                       make DIR a self-contained spool (never overwrites)
      wmagent run [--once|--watch] [options]   run every stage in pipeline order until the spool is quiet
                                               (--once, the default) or forever (--watch)
      wmagent bench [--jobs N] [--batch B] [--pipelined] [--warm-up N] [--dir DIR] [--keep] [--raw-seconds S] [--json]
                                               push N null-payload jobs (default 100000) through create →
                                               submit → track → account → error handling → archive on a
                                               fresh spool (durability full); print jobs/s per stage and end
                                               to end, peak memory and the disk's raw durable file rate;
                                               --pipelined runs the stages at the same time, each on its own
                                               thread (as WMAgent's components run); --warm-up N first
                                               pushes N jobs untimed (steady state: the spare pools hold
                                               what archived jobs left)
    Options (run): --spool DIR, --config FILE, --interval S, --batch N, --log-format text|json, -v,
                   --agent NAME, --stall-timeout S (once: give up after S s without progress; default 900)

    Example:
      wmagent init /tmp/spool && export WM_SPOOL=/tmp/spool
      wmctl request submit etc/examples/TaskChain_MC.json --assign && wmagent run --once
      swift build -c release && .build/release/wmagent bench --jobs 20000 --json
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
    case "bench":
        let (settings, json) = try AgentBenchmark.Settings.parse(arguments, usage: usage)
        var bench = AgentBenchmark(settings: settings)
        if !json { bench.onStage = { print(BenchReport.line($0)) } }
        let result = try bench.run()
        print(json ? try BenchReport.json(result) : BenchReport.summary(result))
    case "-h", "--help", "help":
        print(usage)
    default:
        throw CommandFailure(.usage, "wmagent: unknown verb '\(verb)'\n" + usage)
    }
}

