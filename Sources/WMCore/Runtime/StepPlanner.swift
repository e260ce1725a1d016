import Foundation
import JobSplitting

/// Plans a job's cmsRun step from its job document and runtime description: which mode, which
/// input PFNs, which output LFNs. Pure apart from the GUID source and the clock it is given.
public struct StepPlanner {
    /// The spool root when the runtime names none (the wrapper derives it from the job's work directory).
    public var defaultSpool: String
    /// The spool's storage folder (`storage`: storage nodes are `<spool>/<storageFolder>/<PNN>`).
    public var storageFolder: String
    /// The runtime description.
    public var runtime: JobRuntime
    /// The time used for date-stamped LFNs (log archive, LogCollect).
    public var now: Date
    /// Makes a new file GUID (uppercase UUID by default).
    public var makeGUID: () -> String

    /// Payload bytes per generated event when the baggage has no `sizePerEvent`.
    public static let defaultSizePerEvent = 64
    /// The output label of a Harvesting job without an output spec.
    public static let harvestLabel = "DQMSummary"
    /// The output label of a LogCollect job.
    public static let logCollectLabel = "logArchives"

    /// Makes a planner.
    public init(defaultSpool: String, storageFolder: String, runtime: JobRuntime, now: Date = Date(),
                makeGUID: @escaping () -> String = { UUID().uuidString.uppercased() }) {
        self.defaultSpool = defaultSpool
        self.storageFolder = storageFolder
        self.runtime = runtime
        self.now = now
        self.makeGUID = makeGUID
    }

    /// The step configuration of `job`.
    /// - Throws: `RuntimePlanError` naming the task type, field or baggage key that is wrong.
    public func plan(_ job: JobBody) throws(RuntimePlanError) -> StepConfig {
        let config = try planWithoutOutputs(job)
        if config.mode.expectsOutput && config.outputs.isEmpty {
            throw .invalidField(field: "outputs", expected: "at least one output module for a \(job.taskType) job")
        }
        return config
    }

    /// The step of `job` with the outputs its document lists, which may be none.
    private func planWithoutOutputs(_ job: JobBody) throws(RuntimePlanError) -> StepConfig {
        let mode = try StepMode(taskType: job.taskType)
        var config = StepConfig(mode: mode, workflow: job.workflow, taskPath: job.task, jobName: job.name,
                                retry: job.retryCount, inputs: mode == .generate ? [] : inputs(of: job),
                                outputs: [], mask: job.mask, faultPlan: job.baggage["faults"],
                                knobs: try knobs(job.baggage))
        switch mode {
        case .generate:
            config.pileupInputs = pileupInputs(of: job)
            config.generation = try generation(job)
            config.payloadSize = try nonNegativeInt(job.baggage, "sizePerEvent") ?? Self.defaultSizePerEvent
            config.outputs = outputs(job, specs: sortedSpecs(job))
        case .process, .merge:
            config.outputs = outputs(job, specs: sortedSpecs(job))
            if mode == .merge, job.baggage[StepConfig.skipBadFilesKey]?.boolValue == true { config.skipBadFiles = true }
            if mode == .process, job.includeParents == true { config.secondaryInputs = parentInputs(of: job) }
            if mode == .process { config.pileupInputs = pileupInputs(of: job) }
        case .repack, .express:
            config.outputs = try triggerRoutedOutputs(job)
        case .harvest:
            let spec = sortedSpecs(job).first ?? (Self.harvestLabel, JobOutputSpec(
                dataTier: "DQMIO", dataset: "", lfnBase: unmergedBase(job) + "/harvesting/" + job.workflow, merged: true))
            config.outputs = outputs(job, specs: [spec])
        case .cleanup:
            config.outputs = []
        case .logCollect:
            config.outputs = [StepOutput(label: Self.logCollectLabel,
                                         lfn: LFNNaming.logCollectLFN(date: now, workflow: job.workflow, jobName: job.name),
                                         guid: makeGUID(), localFile: "logs.tar", dataTier: "LOG")]
        }
        return config
    }

    /// The cmsRun steps of `job`, in the order they run: one per StepChain step (baggage `steps`), else the one `plan`
    /// makes. A StepChain's first step is the job's own (generate or process); every later step processes the output
    /// module of its input step from the job's scratch folder. An output the job does not list (`KeepOutput: false`)
    /// is written locally only (`stagedOut` false); a listed one goes to its LFN as in a single-step job.
    /// - Throws: `RuntimePlanError` naming the field or baggage key that is wrong (a step reading a module no
    ///   earlier step writes, an output module listed by the job that no step writes).
    /// Every step runs the job's cores as threads (`numberOfCores`) and its `eventStreams` as streams.
    public func planSteps(_ job: JobBody) throws(RuntimePlanError) -> [StepConfig] {
        var configs = try planStepsSingleThreaded(job)
        let threads = min(Int(Lexicon.maxCores), max(1, job.cores))
        let streams = job.baggage["eventStreams"]?.intValue.flatMap { $0 > 0 ? min($0, Int(Lexicon.maxCores)) : nil } ?? threads
        for index in configs.indices {
            configs[index].threads = threads
            configs[index].streams = streams
        }
        return configs
    }

    private func planStepsSingleThreaded(_ job: JobBody) throws(RuntimePlanError) -> [StepConfig] {
        let chain = try ChainStep.steps(inBaggage: job.baggage)
        guard chain.count > 1 else { return [try plan(job)] }
        let written = Set(chain.flatMap(\.outputModules))
        if let stranger = job.outputs.keys.sorted().first(where: { !written.contains($0) }) {
            throw .invalidField(field: "outputs.\(stranger)", expected: "an output module of a step in baggage.steps (\(written.sorted().joined(separator: ", ")))")
        }
        var configs: [StepConfig] = []
        var localOutputs: [String: StepOutput] = [:]   // module → the file an earlier step wrote
        for (index, step) in chain.enumerated() {
            let stepName = "cmsRun\(index + 1)"
            var config: StepConfig
            if index == 0 {
                var first = job
                first.outputs = [:]   // planned below, per step
                if let perLumi = step.eventsPerLumi { first.baggage["eventsPerLumi"] = .int(perLumi) }
                config = try planWithoutOutputs(first)
            } else {
                guard let module = step.inputModule, let source = localOutputs[module] else {
                    throw .invalidField(field: "baggage.steps[\(index)].inputModule",
                                        expected: "an output module of an earlier step (\(localOutputs.keys.sorted().joined(separator: ", "))), got \(step.inputModule ?? "none")")
                }
                config = StepConfig(mode: .process, workflow: job.workflow, taskPath: job.task, jobName: job.name, retry: job.retryCount,
                                    inputs: [StepInput(lfn: source.lfn, pfn: source.localFile, guid: source.guid, localFile: source.localFile)],
                                    outputs: [], faultPlan: job.baggage["faults"], knobs: try knobs(job.baggage))
            }
            config.stepName = stepName
            // A chain step mixes the job's pileup only when it declares pileup (a document without the flag: the first step).
            let mixes = (step.mixesPileup ?? false) || (index == 0 && !chain.contains { $0.mixesPileup != nil })
            config.pileupInputs = mixes ? pileupInputs(of: job) : nil
            config.cmsswVersion = step.cmsswVersion
            config.globalTag = step.globalTag
            config.outputs = chainOutputs(job, step: step, filePrefix: stepName + "-")
            if config.outputs.isEmpty {
                throw .invalidField(field: "baggage.steps[\(index)].outputTiers", expected: "at least one output module for step \(step.name)")
            }
            for output in config.outputs { localOutputs[output.label] = output }
            configs.append(config)
        }
        return configs
    }

    /// The outputs of one StepChain step: the job's spec for a module it stages out, else a local-only output.
    private func chainOutputs(_ job: JobBody, step: ChainStep, filePrefix: String) -> [StepOutput] {
        let specs = step.outputModules.map { module in
            (module, job.outputs[module] ?? JobOutputSpec(dataTier: step.outputTiers[module] ?? "", dataset: "",
                                                          lfnBase: unmergedBase(job) + "/" + job.workflow + "/" + step.name, merged: false))
        }
        return outputs(job, specs: specs, filePrefix: filePrefix).map { output in
            var output = output
            output.stagedOut = job.outputs[output.label] != nil
            return output
        }
    }

    /// The LFN of the job's log archive (WMCore's LogArchive rule).
    public func logArchiveLFN(_ job: JobBody) -> String {
        LFNNaming.logArchiveLFN(unmergedBase: unmergedBase(job), date: now, taskPath: job.task,
                                group: LFNNaming.logArchiveGroup(counter: LFNNaming.counter(jobName: job.name, baggage: job.baggage)),
                                retry: job.retryCount, jobName: job.name)
    }

    /// The PFN an LFN is staged out to at the job's storage node.
    public func stageOutPFN(lfn: String, job: JobBody) -> String {
        JobRuntime.pfn(prefix: runtime.resolvedStoragePrefix(defaultSpool: defaultSpool, storageFolder: storageFolder, jobSite: job.site), lfn: lfn)
    }

    // MARK: Inputs and outputs

    private func inputs(of job: JobBody) -> [StepInput] {
        job.inputFiles.map { file in
            let prefix = runtime.inputPrefix(locations: file.locations, defaultSpool: defaultSpool, storageFolder: storageFolder, jobSite: job.site)
            return StepInput(lfn: file.lfn, pfn: JobRuntime.pfn(prefix: prefix, lfn: file.lfn), guid: Self.guid(lfn: file.lfn))
        }
    }

    /// The parents of the job's input files, each read from its child's storage (WMCore runs an `IncludeParents` job
    /// only where parents and children both are), in input order without repeats.
    private func parentInputs(of job: JobBody) -> [StepInput] {
        var seen: Set<String> = []
        return job.inputFiles.flatMap { file in
            let prefix = runtime.inputPrefix(locations: file.locations, defaultSpool: defaultSpool, storageFolder: storageFolder, jobSite: job.site)
            return file.parents.filter { seen.insert($0).inserted }.map { lfn in
                StepInput(lfn: lfn, pfn: JobRuntime.pfn(prefix: prefix, lfn: lfn), guid: Self.guid(lfn: lfn))
            }
        }
    }

    /// The job's pileup files (nil for none), each read from the job's storage when one of its locations is the job's
    /// storage node, else from the first location (the same resolution as primary input).
    private func pileupInputs(of job: JobBody) -> [StepInput]? {
        guard let files = job.pileupFiles, !files.isEmpty else { return nil }
        return files.map { file in
            let prefix = runtime.inputPrefix(locations: file.locations, defaultSpool: defaultSpool, storageFolder: storageFolder, jobSite: job.site)
            return StepInput(lfn: file.lfn, pfn: JobRuntime.pfn(prefix: prefix, lfn: file.lfn), guid: Self.guid(lfn: file.lfn))
        }
    }

    /// An LFN's GUID: its base name without `.root`.
    static func guid(lfn: String) -> String {
        let base = (lfn as NSString).lastPathComponent
        return base.hasSuffix(".root") ? String(base.dropLast(5)) : base
    }

    private func sortedSpecs(_ job: JobBody) -> [(String, JobOutputSpec)] {
        job.outputs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private func outputs(_ job: JobBody, specs: [(String, JobOutputSpec)], masks: [String: UInt64] = [:],
                         filePrefix: String = "") -> [StepOutput] {
        let counter = LFNNaming.counter(jobName: job.name, baggage: job.baggage)
        let group = LFNNaming.outputGroup(agentNumber: job.baggage["agentNumber"]?.intValue ?? 0, counter: counter)
        return specs.enumerated().map { index, entry in
            let (label, spec) = entry
            let guid = makeGUID()
            return StepOutput(label: label, lfn: LFNNaming.outputLFN(lfnBase: spec.lfnBase, group: group, guid: guid),
                              guid: guid, localFile: "\(filePrefix)output\(index).root", dataTier: spec.dataTier,
                              triggerMask: masks[label] ?? spec.filterMask)
        }
    }

    /// Repack and Express: the baggage `datasets` maps each output module to its trigger mask (absent: the module's
    /// own filter mask; 0 keeps every event, as for Express's `Stream<name>`).
    private func triggerRoutedOutputs(_ job: JobBody) throws(RuntimePlanError) -> [StepOutput] {
        var masks: [String: UInt64] = [:]
        if let datasets = job.baggage["datasets"] {
            guard let object = datasets.objectValue else {
                throw .invalidField(field: "baggage.datasets", expected: "an object of output module → trigger mask")
            }
            for (label, value) in object {
                guard let mask = value.intValue else {
                    throw .invalidField(field: "baggage.datasets.\(label)", expected: "an integer trigger mask, got \(value.serialized)")
                }
                masks[label] = UInt64(bitPattern: Int64(mask))
            }
        }
        return outputs(job, specs: sortedSpecs(job), masks: masks)
    }

    // MARK: Generation

    private func generation(_ job: JobBody) throws(RuntimePlanError) -> GenerationSettings {
        let mask = job.mask
        guard let first = mask.firstEvent, let last = mask.lastEvent, first >= 0, last >= first else {
            throw .invalidField(field: "mask.FirstEvent/LastEvent",
                                expected: "0 ≤ FirstEvent ≤ LastEvent for a Production job, got \(String(describing: mask.firstEvent))…\(String(describing: mask.lastEvent))")
        }
        let firstLumi = mask.firstLumi ?? 1
        let events = UInt64(last - first + 1)
        var perLumi = try positiveInt(job.baggage, "eventsPerLumi").map(UInt64.init)
        if perLumi == nil, let lastLumi = mask.lastLumi, lastLumi >= firstLumi {
            let lumis = UInt64(lastLumi - firstLumi + 1)
            perLumi = (events + lumis - 1) / lumis
        }
        let seed = job.baggage["seed"]?.intValue.map { UInt64(bitPattern: Int64($0)) } ?? 0
        return GenerationSettings(run: UInt32(clamping: mask.firstRun ?? 1), firstEvent: UInt64(first), lastEvent: UInt64(last),
                                  firstLumi: UInt32(clamping: firstLumi), lastLumi: mask.lastLumi.map { UInt32(clamping: $0) },
                                  eventsPerLumi: perLumi ?? events, seed: seed)
    }

    // MARK: Baggage

    private func unmergedBase(_ job: JobBody) -> String {
        job.baggage["unmergedLFNBase"]?.stringValue ?? LFNNaming.defaultUnmergedBase
    }

    private func knobs(_ baggage: [String: JSONValue]) throws(RuntimePlanError) -> CmsRunKnobs {
        guard let value = baggage["cmsRunKnobs"] else { return CmsRunKnobs() }
        do {
            return try JSONDecoder().decode(CmsRunKnobs.self, from: Data(value.serialized.utf8))
        } catch {
            throw .invalidField(field: "baggage.cmsRunKnobs",
                                expected: "{allocateMB?: int, holdSeconds?: number, omitChecksums?: bool, omitRunLumis?: bool}, got \(value.serialized)")
        }
    }

    private func nonNegativeInt(_ baggage: [String: JSONValue], _ key: String) throws(RuntimePlanError) -> Int? {
        guard let value = baggage[key] else { return nil }
        guard let number = value.intValue, number >= 0 else {
            throw .invalidField(field: "baggage.\(key)", expected: "a non-negative integer, got \(value.serialized)")
        }
        return number
    }

    private func positiveInt(_ baggage: [String: JSONValue], _ key: String) throws(RuntimePlanError) -> Int? {
        guard let number = try nonNegativeInt(baggage, key) else { return nil }
        guard number > 0 else { throw .invalidField(field: "baggage.\(key)", expected: "a positive integer, got 0") }
        return number
    }
}
