/// Derives the workload (tasks, inputs, splitting, outputs, automatic Merge/Cleanup/LogCollect/Harvest tasks)
/// from a validated request, the way WMCore's StdSpecs do.
///
/// Merge policy for outputs: a transient module (`TransientOutputModules`) gets no merge or cleanup and its
/// children read it unmerged; any other module gets a `<Task>CleanupUnmerged<OM>` task, and a `<Task>Merge<OM>`
/// task (with `<Task><OM>MergeLogCollect`) when it is kept or read by a child. Every processing or production
/// task gets `<Task>LogCollect`. With `EnableHarvesting`, a merged DQMIO/DQM output gets
/// `<Task>EndOfRunDQMHarvest<OM>`.
public struct WorkloadBuilder {
    /// The request (workflow) name.
    public let name: String
    /// The validated create arguments.
    public let request: RequestArguments
    /// The validated assignment, if assigned (eras, processing strings, LFN bases, merge limits).
    public let assignment: RequestArguments?
    /// Task configurations.
    public let configCache: any ConfigCacheLookup
    private var tasks: [WorkloadTask] = []

    /// Builds the workload of a request.
    ///
    /// - Parameter original: for Resubmission, the original request's workload.
    /// - Throws: `RequestRejected` (stage `workload`) when a configuration is missing or, for Resubmission, the
    ///   original workload is missing or lacks `InitialTaskPath`.
    public static func build(name: String, request: RequestArguments, assignment: RequestArguments? = nil,
                             configCache: any ConfigCacheLookup, original: Workload? = nil) throws(RequestRejected) -> Workload {
        var builder = WorkloadBuilder(name: name, request: request, assignment: assignment, configCache: configCache)
        let type = request.requestType ?? .taskChain
        switch type {
        case .taskChain: try builder.addTaskChain()
        case .stepChain: try builder.addStepChain()
        case .reReco: try builder.addReReco()
        case .dqmHarvest: builder.addDQMHarvest()
        case .storeResults: builder.addStoreResults()
        case .resubmission: return try resubmission(name: name, request: request, original: original)
        case .repack, .express, .promptReco:
            throw RequestRejected(stage: "workload", problems: [RequestProblem(field: "RequestType", found: .string(type.rawValue),
                expected: "one of \(RequestType.submittable.map(\.rawValue).joined(separator: ", ")): Tier-0 workflows are made by wm-t0feeder")])
        }
        // The assignment's watchdog limits hold for every task (WMCore's setupPerformanceMonitoring).
        let limits = PerformanceLimits.of(assignment: assignment)
        let tasks = builder.tasks.map { task in var task = task; task.performanceLimits = limits; return task }
        var workload = Workload(name: name, requestType: type, tasks: tasks,
                                failureRateThreshold: assignment?.double("FailureRateThreshold") ?? request.double("FailureRateThreshold"),
                                blockCloseLimits: assignment.map(BlockLimits.init(assignment:)))
        workload.validStatus = request.string("ValidStatus")
        return workload
    }

    private init(name: String, request: RequestArguments, assignment: RequestArguments?, configCache: any ConfigCacheLookup) {
        self.name = name
        self.request = request
        self.assignment = assignment
        self.configCache = configCache
    }

    // MARK: Request types

    private mutating func addTaskChain() throws(RequestRejected) {
        let items = request.chainItems
        var placed: [String: (path: String, outputs: [String: String])] = [:]   // task → path, module → reader parent path
        for (index, item) in items.enumerated() {
            let taskName = item.itemName ?? "Task\(index + 1)"
            let config = try configuration(item.string("ConfigCacheID"), field: "Task\(index + 1).ConfigCacheID")
            let readers = Set(items.filter { $0.itemInput == taskName }.compactMap { $0.string("InputFromOutputModule") })
            let input: TaskInput
            let parentPath: String
            var pd = item.string("PrimaryDataset")
            if let parent = item.itemInput, let module = item.string("InputFromOutputModule"), let placedParent = placed[parent] {
                // WMCore's mergeMapping: a merged output is read from its merge task's `Merged` files (straight-to-merge
                // files join them there); a transient output, which has no merge, from the parent's unmerged files.
                let mergePath = placedParent.outputs[module]
                parentPath = mergePath ?? placedParent.path
                input = mergePath.map { .taskOutput(taskPath: $0, module: "Merged") } ?? .taskOutput(taskPath: placedParent.path, module: module)
                pd = pd ?? tasks.first { $0.path == placedParent.path }?.outputs.first { $0.module == module }.flatMap { DatasetName($0.dataset)?.primary }
            } else {
                parentPath = "/\(name)"
                input = topInput(item)
                if case .dataset(let dataset, _) = input { pd = pd ?? DatasetName(dataset)?.primary }
            }
            let task = processingTask(name: taskName, path: "\(parentPath)/\(taskName)", item: item, input: input,
                                      outputs: outputs(of: config, item: item, taskName: taskName, primary: pd ?? "Unknown"))
            let merges = addWithOutputTasks(task, readByChildren: readers)
            placed[taskName] = (task.path, merges)
        }
    }

    private mutating func addStepChain() throws(RequestRejected) {
        let items = request.chainItems
        guard let first = items.first else { return }
        let taskName = first.itemName ?? "Step1"
        var outputs: [TaskOutput] = []
        var pd = first.string("PrimaryDataset") ?? first.string("InputDataset").flatMap { DatasetName($0)?.primary }
        for (index, item) in items.enumerated() {
            let stepName = item.itemName ?? "Step\(index + 1)"
            let config = try configuration(item.string("ConfigCacheID"), field: "Step\(index + 1).ConfigCacheID")
            pd = item.string("PrimaryDataset") ?? pd
            let keep = item.bool("KeepOutput") ?? true || index == items.count - 1
            outputs += self.outputs(of: config, item: item, taskName: stepName, primary: pd ?? "Unknown")
                .map { var o = $0; o.step = stepName; if !keep { o.kept = false; o.transient = true }; return o }
        }
        var task = processingTask(name: taskName, path: "/\(name)/\(taskName)", item: first, input: topInput(first), outputs: outputs)
        task.steps = items.enumerated().map { $0.element.itemName ?? "Step\($0.offset + 1)" }
        task.chainSteps = try chainSteps(items, names: task.steps)
        // The job runs every step, so it asks for the most cores (and streams) any step needs (WMCore's getNumberOfCores).
        let perStep = zip(task.steps, items).map { cores(of: $1, task: $0) }
        task.multicore = perStep.map(\.multicore).max() ?? 1
        task.eventStreams = perStep.compactMap(\.eventStreams).max()
        // Likewise the strongest GPU need of its steps and the first step's GPUParams (WMCore's getRequiresGPU).
        task.gpu = GPUSettings.combined(items.map { $0.gpuSettings(inheritingFrom: request) })
        // Every step's pileup: the job runs them all.
        task.pileup = PileupSettings.of(items, request: request, assignment: assignment)
        addWithOutputTasks(task, readByChildren: [])
    }

    /// The steps a StepChain job runs: each step's output modules, the module of its input step it reads (its
    /// `InputFromOutputModule`, else the input step's first module), and its own CMSSW release, global tag and
    /// events per lumi (else the request's), and whether it mixes pileup (its own or the request's `MCPileup`/`DataPileup`).
    private func chainSteps(_ items: [RequestArguments], names: [String]) throws(RequestRejected) -> [ChainStep] {
        var steps: [ChainStep] = []
        for (index, item) in items.enumerated() {
            let config = try configuration(item.string("ConfigCacheID"), field: "Step\(index + 1).ConfigCacheID")
            var inputModule: String?
            if index > 0 {
                let parent = item.itemInput.flatMap { input in steps.first { $0.name == input } } ?? steps[index - 1]
                inputModule = item.string("InputFromOutputModule") ?? parent.outputModules.first
            }
            steps.append(ChainStep(name: names[index], outputTiers: config.outputModules.mapValues(\.dataTier), inputModule: inputModule,
                                   cmsswVersion: item.inheriting("CMSSWVersion", from: request)?.stringValue,
                                   globalTag: item.inheriting("GlobalTag", from: request)?.stringValue,
                                   eventsPerLumi: item.inheriting("EventsPerLumi", from: request)?.intValue,
                                   mixesPileup: PileupSettings.of([item], request: request, assignment: nil) != nil))
        }
        return steps
    }

    private mutating func addReReco() throws(RequestRejected) {
        let config = try configuration(request.string("ConfigCacheID"), field: "ConfigCacheID")
        let input = topInput(request)
        let pd = request.string("InputDataset").flatMap { DatasetName($0)?.primary } ?? "Unknown"
        let task = processingTask(name: "DataProcessing", path: "/\(name)/DataProcessing", item: request, input: input,
                                  outputs: outputs(of: config, item: request, taskName: "DataProcessing", primary: pd))
        addWithOutputTasks(task, readByChildren: [])
    }

    private mutating func addDQMHarvest() {
        var task = WorkloadTask(name: "EndOfRunDQMHarvest", path: "/\(name)/EndOfRunDQMHarvest", type: .harvesting,
                                input: topInput(request), splitting: SplittingDefaults.harvest(request),
                                memory: request.double("Memory") ?? 2300, multicore: request.int("Multicore") ?? 1,
                                eventStreams: request.int("EventStreams"))
        task.dqmUploadURL = request.string("DQMUploadUrl")
        tasks.append(task)
        addLogCollect(for: task, name: "EndOfRunDQMHarvestLogCollect")
    }

    private mutating func addStoreResults() {
        let dataset = request.string("InputDataset") ?? ""
        let parsed = DatasetName(dataset)
        let tier = request.string("DataTier") ?? "USER"
        let naming = self.naming(for: request, taskName: "StoreResults", primary: parsed?.primary ?? "Unknown")
        var output = naming.output(module: "Merged", tier: tier, filterName: "", kept: true, transient: false)
        output.unmergedLFNBase = output.mergedLFNBase
        let task = WorkloadTask(name: "StoreResults", path: "/\(name)/StoreResults", type: .merge, input: topInput(request),
                                splitting: SplittingSpec(algorithm: "ParentlessMergeBySize",
                                                         parameters: SplittingDefaults.mergeLimits(assignment)),
                                outputs: [output])
        tasks.append(task)
        addLogCollect(for: task, name: "StoreResultsLogCollect")
    }

    /// Resubmission: the original workload restricted to the task at `InitialTaskPath` and its descendants, the
    /// initial task reading the ACDC collection of the original request.
    private static func resubmission(name: String, request: RequestArguments, original: Workload?) throws(RequestRejected) -> Workload {
        let initial = request.string("InitialTaskPath") ?? ""
        guard let original else {
            throw RequestRejected(stage: "workload", problems: [RequestProblem(field: "OriginalRequestName",
                value: request.string("OriginalRequestName") ?? "<missing>", expected: "the original request's workload")])
        }
        guard let root = original.task(path: initial) else {
            throw RequestRejected(stage: "workload", problems: [RequestProblem(field: "InitialTaskPath", value: initial,
                expected: "a task path of \(original.name) (\(original.tasks.map(\.path).joined(separator: ", ")))")])
        }
        let kept = original.tasks.filter { $0.path == initial || $0.path.hasPrefix(initial + "/") }.map { task -> WorkloadTask in
            guard task.path == root.path else { return task }
            var copy = task
            copy.input = .acdc(collection: original.name, taskPath: initial)
            return copy
        }
        return Workload(name: name, requestType: .resubmission, tasks: kept)
    }

    // MARK: Pieces

    private func configuration(_ id: String?, field: String) throws(RequestRejected) -> TaskConfiguration {
        guard let id, let config = configCache.configuration(id: id) else {
            throw RequestRejected(stage: "workload", problems: [RequestProblem(field: field, value: id ?? "<missing>",
                                                                               expected: "an id the config cache holds")])
        }
        return config
    }

    /// The input of a top-level task: the item's dataset with its selection, or generation.
    private func topInput(_ item: RequestArguments) -> TaskInput {
        if let dataset = item.inheriting("InputDataset", from: request)?.stringValue {
            let selection = item.values.keys.contains { ["RunWhitelist", "RunBlacklist", "BlockWhitelist", "BlockBlacklist", "LumiList"].contains($0) }
                ? merged(item, over: request).inputSelection : request.inputSelection
            return .dataset(name: dataset, selection: selection)
        }
        let requested = item.int("RequestNumEvents") ?? request.int("RequestNumEvents") ?? 0
        let efficiency = item.inheriting("FilterEfficiency", from: request)?.doubleValue ?? 1
        // The validator keeps RequestNumEvents / FilterEfficiency within 10^12; `min` keeps the conversion from
        // trapping on a workload built from arguments that were not validated.
        let generated = min((Double(requested) / max(efficiency, 1e-9)).rounded(.up), Lexicon.maxRequestEvents)
        return .generator(primaryDataset: item.string("PrimaryDataset") ?? "Unknown",
                          events: Int(generated),
                          firstEvent: item.inheriting("FirstEvent", from: request)?.intValue ?? 1,
                          firstLumi: item.inheriting("FirstLumi", from: request)?.intValue ?? 1)
    }

    private func merged(_ item: RequestArguments, over top: RequestArguments) -> RequestArguments {
        RequestArguments(top.values.merging(item.values) { $1 })
    }

    private func processingTask(name taskName: String, path: String, item: RequestArguments, input: TaskInput,
                                outputs: [TaskOutput]) -> WorkloadTask {
        let splitting: SplittingSpec
        let type: TaskType
        if case .generator(_, let events, _, _) = input {
            type = .production
            splitting = SplittingDefaults.production(item, top: request, events: events)
        } else {
            type = .processing
            splitting = SplittingDefaults.processing(item, top: request)
        }
        let perTask = { (key: String) in self.assignment?.perTask(key, task: taskName) ?? item.inheriting(key, from: self.request) }
        let cores = cores(of: item, task: taskName)
        var task = WorkloadTask(name: taskName, path: path, type: type, input: input, splitting: splitting, outputs: outputs,
                            timePerEvent: item.inheriting("TimePerEvent", from: request)?.doubleValue ?? 12,
                            sizePerEvent: item.inheriting("SizePerEvent", from: request)?.doubleValue ?? 512,
                            memory: perTask("Memory")?.doubleValue ?? 2300, multicore: cores.multicore, eventStreams: cores.eventStreams)
        task.gpu = item.gpuSettings(inheritingFrom: request)
        let extra = item.inheriting("JobExtraMatchRequirements", from: request)?.stringValue ?? ""
        task.jobExtraMatchRequirements = extra.isEmpty ? nil : extra
        task.pileup = PileupSettings.of([item], request: request, assignment: assignment)
        // IncludeParents only means something for a task reading a dataset (the validator wants its parent dataset).
        if case .dataset = input, item.inheriting("IncludeParents", from: request)?.boolValue == true { task.includeParents = true }
        task.provenance = .init(release: item.inheriting("CMSSWVersion", from: request)?.stringValue,
                                globalTag: item.inheriting("GlobalTag", from: request)?.stringValue,
                                prepID: item.inheriting("PrepID", from: request)?.stringValue)
        return task
    }

    /// The cores and event streams of a task (or StepChain step) named `taskName`, as StdBase sets them: the assignment's
    /// value for the task, else the `TaskN`/`StepN` dict's, else the request's (1 core, streams unset). The validator
    /// keeps both within `Lexicon.maxCores` (cores ≥ 1, streams ≥ 0).
    private func cores(of item: RequestArguments, task taskName: String) -> (multicore: Int, eventStreams: Int?) {
        let value = { (key: String) in self.assignment?.perTask(key, task: taskName) ?? item.inheriting(key, from: self.request) }
        return (value("Multicore")?.intValue ?? 1, value("EventStreams")?.intValue)
    }

    /// Adds the task and its Merge/Cleanup/LogCollect/Harvest tasks; returns module → path children hang under.
    @discardableResult
    private mutating func addWithOutputTasks(_ task: WorkloadTask, readByChildren: Set<String>) -> [String: String] {
        tasks.append(task)
        var childParents: [String: String] = [:]
        for output in task.outputs where !output.transient {
            if output.kept || readByChildren.contains(output.module) {
                let mergeName = "\(task.name)Merge\(output.module)"
                var merged = output
                merged.module = "Merged"
                merged.unmergedLFNBase = output.mergedLFNBase
                var merge = WorkloadTask(name: mergeName, path: "\(task.path)/\(mergeName)", type: .merge,
                                         input: .taskOutput(taskPath: task.path, module: output.module),
                                         splitting: SplittingDefaults.merge(parent: task, assignment: assignment),
                                         outputs: [merged])
                merge.provenance = task.provenance(ofOutput: output.module)
                // WMCore's StdBase: a robust merge (RobustMerge, default true) skips bad files, except WMBSMergeBySize.
                merge.skipBadFiles = merge.splitting.algorithm != "WMBSMergeBySize" && (request.bool("RobustMerge") ?? true)
                tasks.append(merge)
                childParents[output.module] = merge.path
                addLogCollect(for: merge, name: "\(task.name)\(output.module)MergeLogCollect")
                if request.bool("EnableHarvesting") == true && ["DQMIO", "DQM"].contains(output.tier) {
                    let harvestName = "\(task.name)EndOfRunDQMHarvest\(output.module)"
                    var harvest = WorkloadTask(name: harvestName, path: "\(merge.path)/\(harvestName)", type: .harvesting,
                                               input: .taskOutput(taskPath: merge.path, module: "Merged"),
                                               splitting: SplittingDefaults.harvest(request))
                    harvest.dqmUploadURL = request.string("DQMUploadUrl")
                    tasks.append(harvest)
                }
            }
            let cleanupName = "\(task.name)CleanupUnmerged\(output.module)"
            tasks.append(WorkloadTask(name: cleanupName, path: "\(task.path)/\(cleanupName)", type: .cleanup,
                                      input: .taskOutput(taskPath: task.path, module: output.module),
                                      splitting: SplittingDefaults.cleanup))
        }
        addLogCollect(for: task, name: "\(task.name)LogCollect")
        return childParents
    }

    private mutating func addLogCollect(for task: WorkloadTask, name taskName: String) {
        tasks.append(WorkloadTask(name: taskName, path: "\(task.path)/\(taskName)", type: .logCollect,
                                  input: .taskOutput(taskPath: task.path, module: "logArchive"),
                                  splitting: SplittingDefaults.logCollect))
    }

    private func outputs(of config: TaskConfiguration, item: RequestArguments, taskName: String, primary: String) -> [TaskOutput] {
        let naming = self.naming(for: item, taskName: taskName, primary: primary)
        let transient = Set(item.strings("TransientOutputModules"))
        let keep = item.bool("KeepOutput") ?? true
        return config.outputModules.keys.sorted().map { module in
            let om = config.outputModules[module]!
            return naming.output(module: module, tier: om.dataTier, filterName: om.filterName, kept: keep,
                                 transient: transient.contains(module))
        }
    }

    /// Era, processing string and version of a task: assignment (per-task map or value), else the task's own
    /// value, else the request's top-level value.
    private func naming(for item: RequestArguments, taskName: String, primary: String) -> OutputNaming {
        func pick(_ key: String) -> JSONValue? {
            assignment?.perTask(key, task: taskName) ?? item[key] ?? request[key]
        }
        let isMC: Bool = {
            if case .generator = topInput(request.chainItems.first ?? request) { return true }
            return false
        }()
        return OutputNaming(era: pick("AcquisitionEra")?.stringValue ?? "None",
                            processingString: pick("ProcessingString")?.stringValue ?? "",
                            processingVersion: pick("ProcessingVersion")?.intValue ?? 1,
                            primaryDataset: primary,
                            unmergedBase: assignment?.string("UnmergedLFNBase") ?? request.string("UnmergedLFNBase") ?? "/store/unmerged",
                            mergedBase: assignment?.string("MergedLFNBase") ?? request.string("MergedLFNBase") ?? (isMC ? "/store/mc" : "/store/data"))
    }
}
