/// A multi-step job's report (a StepChain job running `cmsRun1`, `cmsRun2`, … in one job), as WMCore's `Report`
/// keeps one section per step: each step's inputs, outputs, performance and errors in its own
/// `<FrameworkJobReport>` section inside the job's, and the job's own elements (the log archive, the wrapper's
/// errors, the job's total performance, `WMWrapper`) after them.
///
/// A report with step sections still answers every reader as one report: its `outputFiles`, `inputFiles`, `errors`,
/// skipped, fallback, skipped-event and analysis lists are the job's view — what its steps recorded, then the job's
/// own. The view's outputs are the kept outputs of every step (a dropped `KeepOutput: false` output stays in its step
/// only) and its inputs are what the steps read from outside the job (a step reading an earlier step's output reads a
/// local input, which is no input of the job). A single-step report has no sections and is written as before.
extension FrameworkJobReport {
    /// Gives the report `steps` as its step sections and makes its job view their view followed by the report's own
    /// elements (those that belonged to none of its former sections).
    public mutating func setSteps(_ steps: [FrameworkJobReport]) {
        let own = ownElements
        self.steps = steps
        let view = Self.view(of: steps)
        outputFiles = view.outputFiles + own.outputFiles
        inputFiles = view.inputFiles + own.inputFiles
        errors = view.errors + own.errors
        skippedFiles = view.skippedFiles + own.skippedFiles
        fallbackFiles = view.fallbackFiles + own.fallbackFiles
        skippedEvents = view.skippedEvents + own.skippedEvents
        analysisFiles = view.analysisFiles + own.analysisFiles
    }

    /// Sets the PFN of the output `lfn` in the job view and in the step section that wrote it (stage-out moves it).
    public mutating func setPFN(_ pfn: String, ofOutput lfn: String) {
        for index in outputFiles.indices where outputFiles[index].lfn == lfn { outputFiles[index].pfn = pfn }
        for step in steps.indices {
            for index in steps[step].outputFiles.indices where steps[step].outputFiles[index].lfn == lfn {
                steps[step].outputFiles[index].pfn = pfn
            }
        }
    }

    /// The LFNs of the nearest kept ancestors of the output `lfn` inside the job, following each file's inputs back
    /// through the step sections past dropped outputs (WMCore's StepChain parentage: a file's parent is the nearest
    /// step whose output was kept). Nil when the trail reaches the job's own inputs (an input no step wrote): then the
    /// file's parents are the job's inputs, as for a single-step job.
    public func keptAncestors(ofOutput lfn: String) -> [String]? {
        var written: [String: OutputFile] = [:]
        for file in steps.flatMap(\.outputFiles) where written[file.lfn] == nil { written[file.lfn] = file }
        guard let start = written[lfn] else { return nil }
        var ancestors: [String] = []
        var visited: Set<String> = [lfn]
        var pending = start.inputLFNs
        while let next = pending.popLast() {
            guard visited.insert(next).inserted else { continue }
            guard let parent = written[next] else { return nil }
            if parent.kept { ancestors.append(parent.lfn) } else { pending += parent.inputLFNs }
        }
        return ancestors.isEmpty ? nil : ancestors.sorted()
    }

    /// The step section that wrote the output `lfn`, if any.
    public func step(writing lfn: String) -> FrameworkJobReport? {
        steps.first { $0.outputFiles.contains { $0.lfn == lfn } }
    }

    /// The view of `steps`: kept outputs, inputs not written by an earlier step, and everything else, in step order.
    static func view(of steps: [FrameworkJobReport]) -> FrameworkJobReport {
        var view = FrameworkJobReport()
        var writtenSoFar = Set<String>()
        for step in steps {
            view.outputFiles += step.outputFiles.filter(\.kept)
            view.inputFiles += step.inputFiles.filter { !writtenSoFar.contains($0.lfn) }
            writtenSoFar.formUnion(step.outputFiles.map(\.lfn))
            view.errors += step.errors
            view.skippedFiles += step.skippedFiles
            view.fallbackFiles += step.fallbackFiles
            view.skippedEvents += step.skippedEvents
            view.analysisFiles += step.analysisFiles
        }
        return view
    }

    /// The job's own elements: the report without its step sections and without what its view took from them
    /// (the report itself when it has no sections). Performance, parameters and the wrapper are always the job's own.
    var ownElements: FrameworkJobReport {
        guard !steps.isEmpty else { return self }
        let view = Self.view(of: steps)
        let stepOutputs = Set(steps.flatMap(\.outputFiles).map(\.lfn))
        var own = self
        own.steps = []
        own.outputFiles = outputFiles.filter { !stepOutputs.contains($0.lfn) }
        own.inputFiles = Array(inputFiles.dropFirst(Self.sharedPrefix(inputFiles, view.inputFiles)))
        own.errors = Array(errors.dropFirst(Self.sharedPrefix(errors, view.errors)))
        own.skippedFiles = Array(skippedFiles.dropFirst(Self.sharedPrefix(skippedFiles, view.skippedFiles)))
        own.fallbackFiles = Array(fallbackFiles.dropFirst(Self.sharedPrefix(fallbackFiles, view.fallbackFiles)))
        own.skippedEvents = Array(skippedEvents.dropFirst(Self.sharedPrefix(skippedEvents, view.skippedEvents)))
        own.analysisFiles = Array(analysisFiles.dropFirst(Self.sharedPrefix(analysisFiles, view.analysisFiles)))
        return own
    }

    /// How many leading elements of `list` are the elements of `view`, in order (`view.count` when `list` starts
    /// with all of them, as a job view does).
    private static func sharedPrefix<Element: Equatable>(_ list: [Element], _ view: [Element]) -> Int {
        zip(list, view).prefix { $0 == $1 }.count
    }
}
