import EventFiles
import FrameworkJobReport
import WMCore

/// Express: reads the streamer inputs once and routes every event to each event output whose trigger mask it passes
/// (the express datasets' FEVT by their paths, `Stream<name>` with mask 0 taking every event, ALCARECO with its own
/// subset of paths), then writes each DQMIO output as a summary of what was read and written. Every output is
/// reported in the framework job report, as the other modes report theirs.
struct ExpressStep {
    let execution: StepExecution

    func run() throws -> FrameworkJobReport {
        let config = execution.config
        let eventOutputs = config.outputs.filter { !DQMSummary.tiers.contains($0.dataTier) }
        let summaryOutputs = config.outputs.filter { DQMSummary.tiers.contains($0.dataTier) }
        guard !eventOutputs.isEmpty else {
            throw StepFailure(code: RuntimeExitCodes.cmsException, type: "Configuration",
                              details: "step.outputs: an express step needs at least one event output (FEVT, ALCARECO), got only \(summaryOutputs.map(\.label))")
        }
        let modules = eventOutputs.map { OutputModule(label: $0.label, path: execution.localPath($0), triggerMask: $0.triggerMask) }
        let result = try EventOperations.repack(inputs: config.inputs.map(execution.readPath), datasets: modules,
                                                payloadSize: config.payloadSize, threads: execution.threads)
        var report = execution.report(result)
        guard !summaryOutputs.isEmpty else { return report }
        var lumis: [Int: Set<Int>] = [:]
        for input in result.inputs {
            for (run, runLumis) in input.runs { lumis[Int(run), default: []].formUnion(runLumis.map(Int.init)) }
        }
        let eventsRead = result.inputs.reduce(0) { $0 + Int(clamping: $1.eventsRead) }
        let summary = DQMSummary(workflow: config.workflow, eventsRead: eventsRead, lumisPerRun: lumis,
                                 eventsPerOutput: Dictionary(uniqueKeysWithValues: result.outputs.map { ($0.label, Int(clamping: $0.events)) }))
        for output in summaryOutputs {
            let path = execution.localPath(output)
            try summary.write(to: path)
            report.outputFiles.append(execution.outputFile(output, events: eventsRead, runs: summary.runs,
                                                           checksums: try FileChecksums.compute(path: path)))
        }
        return report
    }
}
