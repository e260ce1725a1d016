import JobSplitting
import WMCore

/// The Tier-0's workloads (§A.2, §A.5; WMCore's `Repack` and `Express` specs): what the feeder injects into WMBS for
/// one run's stream, reading its open fileset `Run<r>_Stream<s>`. Pure: the configuration and the run in, a
/// `Workload` out (the stage stores it and plans its WMBS objects with `WMBSInjector.planTree`).
public enum Tier0Workloads {
    /// The storage node of the Tier-0's streamers and its outputs' first copy (§A.1).
    public static let location = "T0_CH_CERN_Disk"
    /// The name of the top task of a Repack workflow.
    public static let repackTask = "Repack"
    /// The name of the top task of an Express workflow.
    public static let expressTask = "Express"

    /// The open fileset a run's stream feeds: `Run<r>_Stream<s>` (§A.2).
    public static func streamFileset(run: Int, stream: String) -> String { "Run\(run)_Stream\(stream)" }

    /// The workload of `stream` in `run`, nil for an Ignore stream or a stream with no primary dataset in the run's
    /// menu (a Bulk stream whose menu names none has nothing to repack into).
    public static func workload(run: Int, stream: String, menu: TriggerMenu, configuration: Tier0Configuration) -> Workload? {
        switch configuration.stream(stream) {
        case .ignore: return nil
        case .bulk(let settings):
            return repack(run: run, stream: stream, menu: menu, era: configuration.acquisitionEra, settings: settings)
        case .express(let settings):
            return express(run: run, stream: stream, menu: menu, era: configuration.acquisitionEra, settings: settings)
        }
    }

    /// Repack → RepackMerge (Merged, MergedError into `<PD>-Error`) → Cleanup, LogCollect, one RAW output per
    /// primary dataset of the stream selecting the events that fired any of its paths (§A.2).
    static func repack(run: Int, stream: String, menu: TriggerMenu, era: String, settings: RepackSettings) -> Workload? {
        let datasets = menu.datasets(stream: stream)
        guard !datasets.isEmpty else { return nil }
        let name = Tier0Names.repackWorkflow(run: run, stream: stream)
        let version = settings.processingVersion
        let top = "/\(name)/\(repackTask)"
        let outputs = datasets.map { pd in
            var output = TaskOutput(module: Tier0Names.outputLabel(dataset: pd, tier: "RAW"), tier: "RAW", filterName: "",
                                    dataset: Tier0Names.repackDataset(pd, era: era, version: version).description,
                                    unmergedLFNBase: "/store/unmerged/\(era)/\(pd)/RAW/v\(version)",
                                    mergedLFNBase: "/store/data/\(era)/\(pd)/RAW/v\(version)", kept: true, transient: false)
            output.filterMask = menu.triggerMask(dataset: pd, stream: stream) ?? 0
            return output
        }
        var tasks = [WorkloadTask(name: repackTask, path: top, type: .repack, input: .tier0Streamers(run: run, stream: stream),
                                  splitting: SplittingSpec(algorithm: Tier0Algorithm.repack.rawValue,
                                                           parameters: settings.repack.subscriptionParameters),
                                  outputs: outputs, timePerEvent: 0.01, sizePerEvent: 1, memory: 2000)]
        // RepackMerge's minInputSize and maxInputEvents also send big repack outputs straight to merge (§A.5).
        var mergeParameters = settings.merge.subscriptionParameters
        mergeParameters["min_merge_size"] = .int(settings.merge.minInputSize)
        mergeParameters["max_merge_events"] = .int(settings.merge.maxInputEvents)
        for (pd, output) in zip(datasets, outputs) {
            let error = Tier0Names.repackErrorDataset(pd, era: era, version: version)
            let merged = [
                TaskOutput(module: "Merged", tier: "RAW", filterName: "", dataset: output.dataset,
                           unmergedLFNBase: output.mergedLFNBase, mergedLFNBase: output.mergedLFNBase, kept: true, transient: false),
                TaskOutput(module: "MergedError", tier: "RAW", filterName: "", dataset: error.description,
                           unmergedLFNBase: "/store/data/\(era)/\(error.primary)/RAW/v\(version)",
                           mergedLFNBase: "/store/data/\(era)/\(error.primary)/RAW/v\(version)", kept: true, transient: false),
            ]
            tasks += outputTasks(parent: tasks[0], module: output.module, mergeName: "RepackMerge\(output.module)",
                                 merge: SplittingSpec(algorithm: Tier0Algorithm.repackMerge.rawValue, parameters: mergeParameters),
                                 mergedOutputs: merged)
        }
        tasks.append(logCollect(for: tasks[0]))
        return Workload(name: name, requestType: .repack, tasks: tasks)
    }

    /// Express → ExpressMerge per output (DQMIO with 100× the size limit, §A.5) → end-of-run (and, with an interval,
    /// periodic) DQM harvesting of the merged DQMIO, uploaded to the DQM GUI; with AlcaSkims, ExpressAlcaSkim over the
    /// Stream<name> ALCARECO → AlcaHarvest of its ALCAPROMPT → Condition (`ExpressCalibration`); Cleanup and LogCollect. Its outputs are each express primary
    /// dataset's FEVT (`/<PD>/<Era>-Express-v<N>/FEVT`, the events that fired its paths) and the `Stream<name>` datasets
    /// (every event of the stream) in the stream's write tiers.
    static func express(run: Int, stream: String, menu: TriggerMenu, era: String, settings: ExpressSettings) -> Workload {
        let name = Tier0Names.expressWorkflow(run: run, stream: stream)
        let version = settings.processingVersion
        let pd = ExpressSettings.streamDataset(stream)
        let top = "/\(name)/\(expressTask)"
        func output(_ dataset: String, tier: String, mask: UInt64) -> TaskOutput {
            var output = TaskOutput(module: Tier0Names.outputLabel(dataset: dataset, tier: tier), tier: tier, filterName: "",
                                    dataset: DatasetName(primary: dataset, processed: "\(era)-Express-v\(version)", tier: tier).description,
                                    unmergedLFNBase: "/store/unmerged/\(era)/\(dataset)/\(tier)/Express-v\(version)",
                                    mergedLFNBase: "/store/express/\(era)/\(dataset)/\(tier)/Express-v\(version)", kept: true, transient: false)
            output.filterMask = mask
            return output
        }
        // Each express primary dataset's FEVT selects its paths; the Stream<name> dataset keeps every event of the
        // stream in every write tier (its ALCARECO and DQMIO too).
        let perDataset = settings.writeTiers.contains("FEVT")
            ? menu.datasets(stream: stream).filter { $0 != pd }   // a menu PD named Stream<name> is the stream dataset itself
                .map { output($0, tier: "FEVT", mask: menu.triggerMask(dataset: $0, stream: stream) ?? 0) } : []
        let outputs = perDataset + settings.writeTiers.map { output(pd, tier: $0, mask: 0) }
        var tasks = [WorkloadTask(name: expressTask, path: top, type: .express, input: .tier0Streamers(run: run, stream: stream),
                                  splitting: SplittingSpec(algorithm: Tier0Algorithm.express.rawValue,
                                                           parameters: settings.express.subscriptionParameters),
                                  outputs: outputs, timePerEvent: settings.express.timePerEvent,
                                  sizePerEvent: settings.express.sizePerEvent / 1000, memory: 2000)]
        for output in outputs {
            let added = expressMergeTasks(parent: tasks[0], output: output, merge: settings.merge)
            tasks += added
            if ["DQMIO", "DQM"].contains(output.tier), let mergeTask = added.first {
                tasks += ExpressCalibration.dqmHarvestTasks(merge: mergeTask, periodicInterval: settings.periodicHarvestInterval)
            }
            // The Stream<name> ALCARECO is also skimmed when the stream names AlcaSkims (§A.5 ExpressAlcaSkim).
            if output.tier == "ALCARECO", output.dataset.hasPrefix("/\(pd)/"), !settings.alcaSkims.isEmpty {
                let calibration = ExpressCalibration.alcaSkimTasks(
                    express: tasks[0], alcareco: output, skims: settings.alcaSkims, streamDataset: pd, era: era, version: version,
                    merge: SplittingSpec(algorithm: Tier0Algorithm.expressMerge.rawValue, parameters: settings.merge.subscriptionParameters),
                    alcaHarvestTimeout: settings.alcaHarvestTimeout) { skim, skimOutput in
                        // A skim file spans the lumis of its job, so its merge is by size (ExpressMerge needs one lumi per file).
                        outputTasks(parent: skim, module: skimOutput.module, mergeName: "ExpressMerge\(skimOutput.module)",
                                    merge: SplittingDefaults.merge(parent: skim, assignment: nil),
                                    mergedOutputs: [TaskOutput(module: "Merged", tier: skimOutput.tier, filterName: "", dataset: skimOutput.dataset,
                                                               unmergedLFNBase: skimOutput.mergedLFNBase, mergedLFNBase: skimOutput.mergedLFNBase,
                                                               kept: true, transient: false)])
                    }
                tasks += calibration + [logCollect(for: calibration[0])]
            }
        }
        tasks.append(logCollect(for: tasks[0]))
        return Workload(name: name, requestType: .express, tasks: tasks)
    }

    /// `ExpressMerge<module>` of `output` of `parent` (DQMIO/DQM with 100× the size limit, §A.5), its LogCollect and
    /// the cleanup of the unmerged files.
    static func expressMergeTasks(parent: WorkloadTask, output: TaskOutput, merge settings: ExpressMergeParameters) -> [WorkloadTask] {
        var merge = settings
        if ["DQMIO", "DQM"].contains(output.tier) { merge.maxInputSize = SaturatingArithmetic.multiply(merge.maxInputSize, 100) }
        let merged = TaskOutput(module: "Merged", tier: output.tier, filterName: "", dataset: output.dataset,
                                unmergedLFNBase: output.mergedLFNBase, mergedLFNBase: output.mergedLFNBase, kept: true, transient: false)
        return outputTasks(parent: parent, module: output.module, mergeName: "ExpressMerge\(output.module)",
                           merge: SplittingSpec(algorithm: Tier0Algorithm.expressMerge.rawValue, parameters: merge.subscriptionParameters),
                           mergedOutputs: [merged])
    }

    /// The name of the top task of a PromptReco workflow.
    public static let recoTask = "Reco"

    /// The open fileset a released PromptReco reads: `Run<r>_<PD>_RAW`, fed by the feeder with the repacked RAW
    /// files of the run as the catalog gets them (T0 subscribes to the PD's RepackMerge `Merged` fileset instead).
    public static func recoFileset(run: Int, dataset: String) -> String { "Run\(run)_\(dataset)_RAW" }

    /// `PromptReco_Run<r>_<PD>` (§A.4): Reco (Processing; EventAwareLumiBased, events_per_job = the dataset's
    /// RecoSplit × cores, job_time_limit) reading the run's RAW of `/<PD>/<Era>-v<repackVersion>/RAW`, one output per
    /// write tier into `/<PD>/<Era>-PromptReco-v<N>/<TIER>`, each merged by ParentlessMergeBySize with its cleanup and
    /// LogCollect; priority base. `repackVersion`: the processing version of the Bulk stream that repacked the PD.
    public static func promptReco(run: Int, dataset: String, repackVersion: Int, configuration: Tier0Configuration) -> Workload {
        let name = Tier0Names.promptRecoWorkflow(run: run, dataset: dataset)
        let settings = configuration.dataset(dataset)
        let era = configuration.acquisitionEra
        let version = settings.processingVersion
        let cores = configuration.promptReco.recoCores
        let eventsPerJob = SaturatingArithmetic.multiply(settings.recoSplit ?? configuration.promptReco.recoSplit, cores)
        let input = Tier0Names.repackDataset(dataset, era: era, version: repackVersion).description
        let outputs = settings.writeTiers.map { tier in
            TaskOutput(module: "write_\(tier)", tier: tier, filterName: "",
                       dataset: Tier0Names.promptRecoDataset(dataset, era: era, version: version, tier: tier).description,
                       unmergedLFNBase: "/store/unmerged/\(era)/\(dataset)/\(tier)/PromptReco-v\(version)",
                       mergedLFNBase: "/store/data/\(era)/\(dataset)/\(tier)/PromptReco-v\(version)", kept: true, transient: false)
        }
        let reco = WorkloadTask(name: recoTask, path: "/\(name)/\(recoTask)", type: .processing,
                                input: .tier0Dataset(name: input, selection: InputSelection(runWhitelist: [run])),
                                splitting: SplittingSpec(algorithm: "EventAwareLumiBased", parameters: [
                                    "events_per_job": .int(eventsPerJob),
                                    "job_time_limit": .int(configuration.promptReco.jobTimeLimit)]),
                                outputs: outputs, timePerEvent: 0.01, sizePerEvent: 1, memory: 2000, multicore: cores)
        var tasks = [reco]
        for output in outputs {
            let merged = TaskOutput(module: "Merged", tier: output.tier, filterName: "", dataset: output.dataset,
                                    unmergedLFNBase: output.mergedLFNBase, mergedLFNBase: output.mergedLFNBase, kept: true, transient: false)
            tasks += outputTasks(parent: reco, module: output.module, mergeName: "\(recoTask)Merge\(output.module)",
                                 merge: SplittingSpec(algorithm: "ParentlessMergeBySize", parameters: SplittingDefaults.mergeLimits(nil)),
                                 mergedOutputs: [merged])
        }
        tasks.append(logCollect(for: reco))
        return Workload(name: name, requestType: .promptReco, tasks: tasks)
    }

    /// The merge of `module` of `parent` (outputs `mergedOutputs`), its LogCollect, and the cleanup of the unmerged files.
    static func outputTasks(parent: WorkloadTask, module: String, mergeName: String, merge splitting: SplittingSpec,
                            mergedOutputs: [TaskOutput]) -> [WorkloadTask] {
        let merge = WorkloadTask(name: mergeName, path: "\(parent.path)/\(mergeName)", type: .merge,
                                 input: .taskOutput(taskPath: parent.path, module: module), splitting: splitting, outputs: mergedOutputs)
        let cleanupName = "\(parent.name)CleanupUnmerged\(module)"
        return [merge, logCollect(for: merge),
                WorkloadTask(name: cleanupName, path: "\(parent.path)/\(cleanupName)", type: .cleanup,
                             input: .taskOutput(taskPath: parent.path, module: module),
                             splitting: SplittingDefaults.cleanup)]
    }

    /// The LogCollect task of `task`.
    static func logCollect(for task: WorkloadTask) -> WorkloadTask {
        WorkloadTask(name: "\(task.name)LogCollect", path: "\(task.path)/\(task.name)LogCollect", type: .logCollect,
                     input: .taskOutput(taskPath: task.path, module: "logArchive"),
                     splitting: SplittingDefaults.logCollect)
    }

    /// The workflow priority of a Tier-0 workload type (§A.2: base 150000, Repack +5000, Express +10000).
    public static func priority(of type: RequestType) -> Int {
        switch type {
        case .repack: Tier0Names.repackPriority
        case .express: Tier0Names.expressPriority
        default: Tier0Names.basePriority
        }
    }
}
