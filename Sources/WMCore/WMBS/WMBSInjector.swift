import DynamicJSON
import Foundation
import JobSplitting

/// WMCore's `WMBSHelper`: turns a work-queue element of a workload into WMBS subscriptions, filesets
/// and input files.
///
/// The element's top-level task gets its own fileset (`<workflow>-<task>-<element id>`) and subscription;
/// every task downstream (merges, cleanups, log collection, child tasks) gets one shared subscription
/// reading its parent's output fileset (`<taskPath>/unmerged-<module><tier>`,
/// `<mergePath>/merged-Merged<tier>`, `<taskPath>/unmerged-logArchive`).
public struct WMBSInjector {
    /// Settings copied into every job (`payloadBytesPerEvent`, `faults`, ...).
    public var baggage: [String: JSONValue]

    /// Makes an injector.
    public init(baggage: [String: JSONValue] = [:]) {
        self.baggage = baggage
    }

    /// What an injection creates.
    public struct Plan {
        /// Every subscription of the workflow this element needs (existing ones are kept as they are).
        public var subscriptions: [Subscription]
        /// Every fileset.
        public var filesets: [Fileset]
        /// The element's top-level fileset and its input files.
        public var topFileset: String
        /// The input files of the top-level fileset.
        public var inputFiles: [SplitFile]
    }

    /// The name of a task output's fileset (`FilesetNaming`, shared with the accountant).
    public static func outputFileset(taskPath: String, module: String, tier: String?) -> String {
        switch module {
        case FilesetNaming.logArchiveModule: return FilesetNaming.logArchive(taskPath: taskPath)
        case "Merged": return FilesetNaming.merged(mergePath: taskPath, tier: tier ?? "")
        default: return FilesetNaming.unmerged(taskPath: taskPath, module: module, tier: tier ?? "")
        }
    }

    /// A subscription name from a task name (unique in a workflow: task names are).
    public static func subscriptionName(_ task: WorkloadTask, element: String?) -> String {
        element.map { "\(task.name)-\($0.prefix(8))" } ?? task.name
    }

    /// The fileset of an element's top-level task: `<workflow>-<task>-<element id>`.
    public static func topFilesetName(workflow: String, task: WorkloadTask, element: String) -> String {
        "\(workflow)-\(task.name)-\(element)"
    }

    /// Where a workflow's jobs may run and how urgent they are: an element's site lists and priority, or the
    /// Tier-0's for its workflows.
    public struct Placement: Sendable {
        /// Sites the jobs may run at (empty: any).
        public var siteWhitelist: [String]
        /// Sites they may not run at.
        public var siteBlacklist: [String]
        /// Whether the lists win over the input's location.
        public var trustSiteLists: Bool
        /// The request (workflow) priority.
        public var priority: Int

        /// Makes a placement.
        public init(siteWhitelist: [String] = [], siteBlacklist: [String] = [], trustSiteLists: Bool = false, priority: Int) {
            self.siteWhitelist = siteWhitelist
            self.siteBlacklist = siteBlacklist
            self.trustSiteLists = trustSiteLists
            self.priority = priority
        }

        /// An element's placement.
        public init(_ element: ElementBody) {
            self.init(siteWhitelist: element.siteWhitelist, siteBlacklist: element.siteBlacklist,
                      trustSiteLists: element.trustSitelists, priority: element.priority)
        }
    }

    /// Plans the WMBS objects for one element.
    public func plan(workload: Workload, element: ElementBody, catalog: any CatalogLookup, acdc: ACDCRecord?,
                     now: Double) throws -> Plan {
        guard let top = workload.task(path: element.taskName) ?? workload.task(named: element.taskName) else {
            throw DocumentProblem("element \(element.name): task '\(element.taskName)' is not in workload \(workload.name)")
        }
        let topFileset = Self.topFilesetName(workflow: workload.name, task: top, element: element.name)
        let topSubscription = Self.subscriptionName(top, element: element.name)
        var (subscriptions, filesets) = planTree(workload: workload, top: top, topFileset: topFileset,
                                                 topSubscription: topSubscription, placement: Placement(element))
        let files = try inputFiles(for: top, element: element, topFileset: topFileset, catalog: catalog, acdc: acdc, now: now)
        if let acdc, let index = subscriptions.firstIndex(where: { $0.name == topSubscription }),
           let ranges = Self.acdcEventRanges(ResubmitBlockPolicy.chunk(of: acdc, input: element.inputs.keys.first { $0.hasPrefix("acdc:") })) {
            subscriptions[index].parameters[JobSplitter.acdcEventRangesParameter] = ranges
        }
        filesets.sort { $0.name < $1.name }
        return Plan(subscriptions: subscriptions, filesets: filesets, topFileset: topFileset, inputFiles: files)
    }

    /// The subscriptions and filesets of `top` and every task below it: `top` reads the open fileset `topFileset`
    /// through `topSubscription`; each task downstream gets one subscription named after it, reading its parent's
    /// output fileset. Used for an element's tasks and for the Tier-0's workflows (one open fileset per run's stream,
    /// fed by the feeder).
    public func planTree(workload: Workload, top: WorkloadTask, topFileset: String, topSubscription: String,
                         placement: Placement) -> (subscriptions: [Subscription], filesets: [Fileset]) {
        var subscriptions: [Subscription] = []
        var filesets: [String: Fileset] = [:]
        filesets[topFileset] = Fileset(name: topFileset, open: true, producers: [], consumers: [topSubscription])
        // Breadth-first over the task tree below the top task.
        var queue: [(task: WorkloadTask, subscription: String, input: String)] = [(top, topSubscription, topFileset)]
        while !queue.isEmpty {
            let (task, name, input) = queue.removeFirst()
            var outputs: [String: SubscriptionOutput] = [:]
            for output in task.outputs.filter(\.isStagedOut) + [Self.logArchiveOutput(task)] {
                let unmerged = Self.outputFileset(taskPath: task.path, module: output.module, tier: output.module == "logArchive" ? nil : output.tier)
                let isMerge = task.type == .merge
                var out = SubscriptionOutput(
                    spec: JobOutputSpec(dataTier: output.tier, dataset: output.dataset, lfnBase: output.unmergedLFNBase, merged: isMerge,
                                        filterMask: output.filterMask ?? 0),
                    unmergedFilesets: isMerge ? [] : [unmerged], mergedFilesets: isMerge ? [unmerged] : [],
                    registerInCatalog: output.kept && !output.transient && output.module != "logArchive")
                if !isMerge, let merge = workload.mergeTask(ofOutput: output.module, of: task.path) {
                    out.mergedFilesets = [Self.outputFileset(taskPath: merge.path, module: "Merged", tier: output.tier)]
                    out.minMergeSize = merge.splitting.int("min_merge_size")
                    out.maxMergeEvents = merge.splitting.int("max_merge_events")
                    out.spec.lfnBase = output.unmergedLFNBase
                    // registerInCatalog stays: unmerged files never reach the DBS buffer, straight-to-merge files must.
                }
                // The log archive is not an output module of the job; the accountant routes it to its fileset.
                if output.module != FilesetNaming.logArchiveModule { outputs[output.module] = out }
                let fileset = isMerge ? unmerged : unmerged
                if filesets[fileset] == nil { filesets[fileset] = Fileset(name: fileset, open: true, producers: [], consumers: [], parent: input) }
                filesets[fileset]!.producers.append(name)
                for merged in out.mergedFilesets where filesets[merged] == nil {
                    filesets[merged] = Fileset(name: merged, open: true, producers: [], consumers: [], parent: input)
                }
                for merged in out.mergedFilesets where !filesets[merged]!.producers.contains(name) { filesets[merged]!.producers.append(name) }
            }
            subscriptions.append(makeSubscription(task, name: name, workflow: workload.name, input: input, placement: placement, outputs: outputs))
            for child in workload.tasks where child.parentPath == task.path || Self.readsFrom(child, task) {
                guard case .taskOutput(let path, let module) = child.input, path == task.path else { continue }
                let tier = task.outputs.first { $0.module == module }?.tier
                let fileset = Self.outputFileset(taskPath: path, module: module, tier: module == "logArchive" ? nil : tier)
                let childName = Self.subscriptionName(child, element: nil)
                if filesets[fileset] == nil { filesets[fileset] = Fileset(name: fileset, open: true, producers: [name], consumers: [], parent: input) }
                if !filesets[fileset]!.consumers.contains(childName) { filesets[fileset]!.consumers.append(childName) }
                if !queue.contains(where: { $0.subscription == childName }) && !subscriptions.contains(where: { $0.name == childName }) {
                    queue.append((child, childName, fileset))
                }
            }
        }
        return (subscriptions, filesets.values.sorted { $0.name < $1.name })
    }

    /// The event ranges a resubmission replays per real input file (`{lfn: [[first, last], ...]}`), for EventBased.
    static func acdcEventRanges(_ files: ArraySlice<ACDCInputFile>) -> JSONValue? {
        var ranges: [String: JSONValue] = [:]
        for file in files where !file.isGenerator && !file.eventRanges.isEmpty {
            ranges[file.lfn] = .array(file.eventRanges.map { .array([.int($0.lowerBound), .int($0.upperBound)]) })
        }
        return ranges.isEmpty ? nil : .object(ranges)
    }

    static func readsFrom(_ child: WorkloadTask, _ parent: WorkloadTask) -> Bool {
        if case .taskOutput(let p, _) = child.input { return p == parent.path }
        return false
    }

    /// Every job writes a log archive; LogCollect tasks read them.
    static func logArchiveOutput(_ task: WorkloadTask) -> TaskOutput {
        TaskOutput(module: "logArchive", tier: "logArchive", filterName: "", dataset: "", unmergedLFNBase: "/store/unmerged/logs",
                   mergedLFNBase: "/store/unmerged/logs", kept: false, transient: false)
    }

    func makeSubscription(_ task: WorkloadTask, name: String, workflow: String, input: String, placement: Placement,
                          outputs: [String: SubscriptionOutput]) -> Subscription {
        // The request's release, GlobalTag and PrepID win over the agent's defaults (the DBS records say what made the data).
        var bag = baggage.merging(task.provenance?.baggage ?? [:]) { _, request in request }
        if let steps = task.chainSteps { bag[ChainStep.baggageKey] = ChainStep.baggageValue(steps) }
        if task.skipBadFiles == true { bag[StepConfig.skipBadFilesKey] = .bool(true) }
        if let url = task.dqmUploadURL { bag[DQMUploadTarget.baggageKey] = .string(url) }
        if let epl = task.splitting.parameters["events_per_lumi"] { bag["eventsPerLumi"] = epl }
        if bag["eventsPerLumi"] == nil, let epj = task.splitting.parameters["events_per_job"] { bag["eventsPerLumi"] = epj }
        var subscription = Subscription(name: name, workflow: workflow, task: task.path, taskType: task.type.rawValue, inputFileset: input,
                            algorithm: task.splitting.algorithm, parameters: task.splitting.parameters,
                            siteWhitelist: placement.siteWhitelist, siteBlacklist: placement.siteBlacklist,
                            trustSiteLists: placement.trustSiteLists, requestPriority: placement.priority, outputs: outputs,
                            baggage: bag, timePerEvent: task.timePerEvent, sizePerEvent: task.sizePerEvent, memory: task.memory,
                            numberOfCores: task.multicore, eventStreams: task.eventStreams)
        subscription.performanceLimits = task.performanceLimits
        if let gpu = task.gpu, gpu.requiresGPU != .forbidden || gpu.gpuRequirements != nil {
            subscription.requiresGPU = gpu.requiresGPU
            subscription.gpuRequirements = gpu.gpuRequirements
        }
        subscription.jobExtraMatchRequirements = task.jobExtraMatchRequirements
        subscription.pileup = task.pileup
        subscription.includeParents = task.includeParents
        return subscription
    }

    /// The selected files of catalog blocks as WMBS files (merged, at their block's locations, with the selected
    /// lumis), inserted at `insertTime`.
    public static func splitFiles(of blocks: [SelectedBlock], insertTime now: Double) -> [SplitFile] {
        blocks.flatMap { block in
            block.files.map { selected in
                var runs: [Int: [Int]] = [:]
                for lumi in selected.lumis { runs[lumi.run, default: []].append(lumi.lumi) }
                return SplitFile(lfn: selected.file.lfn, size: selected.file.size, events: selected.events, locations: block.block.locations,
                                 runs: runs.keys.sorted().map { FileRun(run: $0, lumis: runs[$0]!.sorted()) }, insertTime: now,
                                 parents: selected.file.parents, merged: true)
            }
        }
    }

    /// The element's input: the MC fake file, a block's files, a dataset's files, or an ACDC record's files.
    func inputFiles(for task: WorkloadTask, element: ElementBody, topFileset: String, catalog: any CatalogLookup,
                    acdc: ACDCRecord?, now: Double) throws -> [SplitFile] {
        switch task.input {
        case .generator:
            guard let mask = element.mask, let first = mask.firstEvent, let last = mask.lastEvent else {
                throw DocumentProblem("element \(element.name): a MonteCarlo element needs a mask with FirstEvent and LastEvent")
            }
            let firstLumi = mask.firstLumi ?? 1, lastLumi = mask.lastLumi ?? firstLumi
            return [SplitFile(lfn: "MCFakeFile-\(topFileset)", size: 0, events: last - first + 1, firstEvent: first, lastEvent: last,
                              locations: [], runs: [FileRun(run: mask.firstRun ?? 1, lumis: Array(firstLumi...lastLumi))], insertTime: now)]
        case .dataset(let name, let selection):
            guard let dataset = catalog.dataset(named: name) else {
                throw DocumentProblem("element \(element.name): input dataset \(name) is not in the catalog")
            }
            let blocks = dataset.select(selection).filter { element.inputs.isEmpty || element.inputs[$0.block.name] != nil || element.startPolicy == "Dataset" }
            return Self.splitFiles(of: blocks, insertTime: now)
        case .acdc:
            guard let acdc else { throw DocumentProblem("element \(element.name): no ACDC record for a resubmission") }
            // The element covers one chunk of the record's files, merged per LFN: one WMBS file each.
            return ResubmitBlockPolicy.chunk(of: acdc, input: element.inputs.keys.first { $0.hasPrefix("acdc:") }).map { file in
                var runs: [Int: [Int]] = [:]
                for lumi in file.lumis { runs[lumi.run, default: []].append(lumi.lumi) }
                let range = file.eventRanges.first
                return SplitFile(lfn: file.lfn, events: file.events,
                                 firstEvent: file.isGenerator ? range?.lowerBound ?? 1 : range?.lowerBound ?? 0,
                                 lastEvent: file.isGenerator ? range?.upperBound ?? 0 : 0,
                                 locations: file.locations, runs: runs.keys.sorted().map { FileRun(run: $0, lumis: runs[$0]!) },
                                 insertTime: now, parents: file.parents, merged: true)
            }
        case .taskOutput:
            throw DocumentProblem("element \(element.name): task \(task.name) is not a top-level task")
        case .tier0Streamers, .tier0Dataset:
            throw DocumentProblem("element \(element.name): task \(task.name) is a Tier-0 task, fed by wm-t0feeder, not by elements")
        }
    }
}
