import Foundation
import SpoolKit
import Agent
import Benchmarks
import Commands
import SpoolLayout
import Stages
import WMCore

// wmagent: one command for the whole agent.
//   wmagent init [DIR]                 make DIR (default $WM_SPOOL or ./spool) a self-contained spool
//   wmagent run [--once|--watch]       run every stage in pipeline order until quiet (or forever)
//   wmagent bench [--jobs N] [--json]  jobs/s of the stages on null payloads (release build)
let usage = """
    wmagent — run the whole workload-management pipeline on one spool

    Usage:
      wmagent init [DIR]                       make DIR a self-contained spool (never overwrites); the only
                                               program that makes a spool
      wmagent init --central DIR AGENTDIR --agent NAME
                                               make (or complete) the central spool DIR (requests, global
                                               queue, catalog) and agent NAME's own spool AGENTDIR; 'wmagent
                                               run' on DIR runs the central stages, on AGENTDIR the agent's
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
      wmagent bench --steady [--running N] [--seconds T] [--run-seconds S] [--batch B] [--dir DIR] [--keep] [--json]
                                               hold N jobs (default 100000) executing on a sim site, each
                                               running S s (default 60), while the stages cycle in pipeline
                                               order for T s (default 60); print each stage's cycles, mean
                                               and max cycle seconds and CPU seconds per cycle, the
                                               executing count (min/mean/max), jobs/s and peak memory
    Options (run): --spool DIR, --config FILE, --interval S, --batch N, --log-format text|json, -v,
                   --agent NAME, --stall-timeout S (once: give up after S s without progress; default 900),
                   --report-interval S (write <spool>/www/index.html after a pass at most every S s and once
                   more at the end; default 5; 0: never)
    'wmagent VERB --help' shows a verb's options. Exit codes: 0 ok, 64 usage, 65 bad data, 66 no spool or
    configuration, 73 can't create, 75 try again.

    Example:
      wmagent init /tmp/spool && export WM_SPOOL=/tmp/spool
      wmctl request submit etc/examples/TaskChain_MC.json --assign && wmagent run --once
      swift build -c release && .build/release/wmagent bench --jobs 20000 --json
    """

/// `wmagent init [DIR]` and `wmagent init --central DIR AGENTDIR --agent NAME`.
let initSpec = CommandSpec("wmagent init", arguments: "[DIR] | --central DIR AGENTDIR --agent NAME",
                           summary: "make DIR (default $WM_SPOOL, else ./spool) a self-contained spool; or make (or complete) the central spool DIR "
                               + "and agent NAME's spool AGENTDIR, which pulls work from it; never overwrites",
                           options: [CommandOption("central", .text("DIR"), help: "the central spool (requests, global queue, catalog) the agent works for"),
                                     CommandOption("agent", .text("NAME"), help: "the agent's name (with --central): \(SpoolRoles.agentNamePattern)")],
                           positional: 0...1, dryRun: .refused,
                           notes: ["Examples:", "  wmagent init /tmp/spool",
                                   "  wmagent init --central /srv/central /srv/agent-a1 --agent a1   (once per agent)"])

/// `wmagent run`: the stage programs' options and two of its own; it has no dry run (the stages' moves feed each other).
let runSpec = StageOptions.spec(program: "wmagent run", summary: "run every stage in pipeline order until the spool is quiet (or forever with --watch)",
                                example: "wmagent run --once --spool /tmp/spool",
                                extras: [CommandOption("agent", .text("NAME"), help: "agent name (default: agentName in the configuration)"),
                                         CommandOption("stall-timeout", .number(1...1e7), help: "seconds without progress before --once gives up (default 900)"),
                                         CommandOption("report-interval", .number(0...1e7),
                                                       help: "seconds at least between two writes of the operations page <spool>/www/index.html after a pass; it is written once more at the end (default \(Int(AgentRunner.defaultReportInterval)); 0: never)")])

var arguments = Array(CommandLine.arguments.dropFirst())
ProgramMain.run("wmagent") {
    guard let verb = arguments.first else { throw CommandFailure(.usage, usage) }
    arguments.removeFirst()
    switch verb {
    case "init":
        let parsed = try initSpec.parse(arguments)
        if let central = parsed.text("central") {
            guard let agent = parsed.text("agent"), let agentPath = parsed.positional.first else {
                throw CommandFailure(.usage, "wmagent init --central DIR needs the agent's spool and name: wmagent init --central DIR AGENTDIR --agent NAME")
            }
            let created = try AgentSpool.initialize(central: central, agentSpool: agentPath, agent: agent)
            print("wmagent: agent '\(agent)' spool ready at \(try Spool(root: agentPath).root), central spool \(try Spool(root: central).root)"
                  + (created.isEmpty ? " (nothing to add)" : ""))
            for item in created { print("  created \(item)") }
            return
        }
        guard parsed.text("agent") == nil else { throw CommandFailure(.usage, "wmagent init: --agent belongs with --central DIR AGENTDIR") }
        let path = parsed.positional.first ?? ProgramInputs.defaultSpoolPath(environment: ProcessInfo.processInfo.environment)
        let created = try AgentSpool.initialize(at: path)
        print("wmagent: spool ready at \(try Spool(root: path).root)" + (created.isEmpty ? " (nothing to add)" : ""))
        for item in created { print("  created \(item)") }
    case "run":
        let options = try StageOptions.parse(arguments, spec: runSpec)
        let spool = try ProgramInputs.existingSpool(options.spoolPath, program: "wmagent run")
        let view = LiveView(spool: spool)
        let log = Logger(component: "wmagent", format: options.logFormat, verbose: options.verbose,
                         sink: view.isTerminal ? { view.printAbove($0) } : nil)
        view.log = log
        let context = StageContext(spool: spool, options: options, log: log)
        let config = try context.agentConfiguration()
        let agent = try SpoolRoles.agentName(of: spool, requested: options.extra["agent"]) { config.agentName }
        var runner = AgentRunner(stages: Pipeline.stages(agent: agent, tier0: Pipeline.hasTier0(spool), role: SpoolRoles.role(of: spool)),
                                 stallTimeout: options.extra["stall-timeout"].flatMap { Double($0) } ?? 900)
        runner.reportInterval = options.extra["report-interval"].flatMap { Double($0) } ?? AgentRunner.defaultReportInterval
        runner.onPass = { view.show($0) }
        StopSignal.install { sig in log.info("stop requested; finishing the stage in hand", ["signal": String(sig)]) }
        let totals = try runner.run(context: context, watch: options.watch)
        log.info("quiet", totals.filter { $0.value > 0 }.mapValues(String.init))
    case "bench":
        switch try AgentBenchmark.Settings.parse(arguments) {
        case (.drain(let settings), let json):
            var bench = AgentBenchmark(settings: settings)
            if !json { bench.onStage = { print(BenchReport.line($0)) } }
            let result = try bench.run()
            print(json ? try BenchReport.json(result) : BenchReport.summary(result))
        case (.steady(let settings), let json):
            let result = try SteadyStateBenchmark(settings: settings).run()
            print(json ? try BenchReport.json(result) : BenchReport.summary(result))
        }
    case "-h", "--help", "help":
        print(usage)
    default:
        throw CommandFailure(.usage, "wmagent: unknown verb '\(verb)'\n" + usage)
    }
}
