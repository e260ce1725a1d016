import JobSplitting
import WMCore

/// The Express workload's harvesting and calibration tasks (§A.5, WMCore `Express.py`): DQM harvesting of a merged
/// DQMIO output, and AlcaSkim → AlcaHarvest → Condition over the `Stream<name>` ALCARECO. Pure task builders used by
/// `Tier0Workloads.express`.
public enum ExpressCalibration {
    /// The AlcaHarvest's conditions output label (T0 `alcaHarvestOutLabel`).
    public static let conditionLabel = "Sqlite"
    /// The data tier of a conditions payload (never a catalog dataset).
    public static let conditionTier = "SQLITE"
    /// The tier of the skims harvested into conditions.
    public static let alcaPromptTier = "ALCAPROMPT"
    /// The DQM GUI the Tier-0's harvests upload to (T0 `dqmUploadUrl`; the spool's `dqmgui/` stand-in).
    public static let dqmUploadURL = "https://cmsweb.cern.ch/dqm/offline"

    /// The DQM harvesting of a merged DQMIO output (`…DQMHarvest{Periodic|EndOfRun}Merged`, WMCore `Harvest`): the
    /// end-of-run harvest when the merged fileset closes, and with `periodicInterval` > 0 a periodic one (first job at
    /// once, then again once the last ended more than the interval ago), whose end-of-run sibling waits for it.
    static func dqmHarvestTasks(merge: WorkloadTask, periodicInterval: Int) -> [WorkloadTask] {
        func harvest(_ kind: String, _ parameters: [String: JSONValue]) -> WorkloadTask {
            let name = "\(merge.name)DQMHarvest\(kind)Merged"
            var task = WorkloadTask(name: name, path: "\(merge.path)/\(name)", type: .harvesting,
                                    input: .taskOutput(taskPath: merge.path, module: "Merged"),
                                    splitting: SplittingSpec(algorithm: "Harvest", parameters: parameters.merging(["dqmHarvestUnit": .string("byRun")]) { a, _ in a }))
            task.dqmUploadURL = dqmUploadURL
            return task
        }
        guard periodicInterval > 0 else { return [harvest("EndOfRun", ["periodic_harvest_interval": .int(0)])] }
        return [harvest("Periodic", ["periodic_harvest_interval": .int(periodicInterval)]),
                harvest("EndOfRun", ["periodic_harvest_interval": .int(0), "periodic_harvest_sibling": .bool(true)])]
    }

    /// What a skim writes: `ALCARECOStream<label>`, tier ALCAPROMPT for a `PromptCalibProd…` skim (harvested into
    /// conditions), else ALCARECO (merged), in `/Stream<name>/<Era>-<label>-Express-v<N>/<tier>`.
    static func skimOutput(_ label: String, streamDataset: String, era: String, version: Int) -> TaskOutput {
        let tier = label.hasPrefix("PromptCalibProd") ? alcaPromptTier : "ALCARECO"
        let processed = "\(label)-Express-v\(version)"
        return TaskOutput(module: "ALCARECOStream\(label)", tier: tier, filterName: "",
                          dataset: DatasetName(primary: streamDataset, processed: "\(era)-\(processed)", tier: tier).description,
                          unmergedLFNBase: "/store/unmerged/\(era)/\(streamDataset)/\(tier)/\(processed)",
                          mergedLFNBase: "/store/express/\(era)/\(streamDataset)/\(tier)/\(processed)", kept: true, transient: false)
    }

    /// `ExpressAlcaSkim<module>` over Express's ALCARECO output `alcareco` (splitter ExpressMerge with the stream's
    /// merge parameters), writing one output per skim; ALCAPROMPT outputs go to AlcaHarvest → Condition, ALCARECO
    /// ones to their ExpressMerge; the skim's LogCollect. `mergeTasks` builds a merge, its LogCollect and cleanup.
    static func alcaSkimTasks(express: WorkloadTask, alcareco: TaskOutput, skims: [String], streamDataset: String, era: String,
                              version: Int, merge: SplittingSpec, alcaHarvestTimeout: Int,
                              mergeTasks: (WorkloadTask, TaskOutput) -> [WorkloadTask]) -> [WorkloadTask] {
        let name = "\(express.name)AlcaSkim\(alcareco.module)"
        let skim = WorkloadTask(name: name, path: "\(express.path)/\(name)", type: .processing,
                                input: .taskOutput(taskPath: express.path, module: alcareco.module), splitting: merge,
                                outputs: skims.map { skimOutput($0, streamDataset: streamDataset, era: era, version: version) },
                                timePerEvent: 0.01, sizePerEvent: 1, memory: 2000)
        var tasks = [skim]
        for output in skim.outputs {
            if output.tier == alcaPromptTier {
                tasks += alcaHarvestTasks(skim: skim, output: output, era: era, timeout: alcaHarvestTimeout)
            } else {
                tasks += mergeTasks(skim, output)
            }
        }
        return tasks
    }

    /// `<skim>AlcaHarvest<module>` (splitter AlcaHarvest with the timeout) writing the conditions payload `Sqlite`
    /// (kept, never in the catalog), and `<harvest>Condition<Sqlite>` (splitter Condition: no jobs, its files recorded
    /// for upload).
    static func alcaHarvestTasks(skim: WorkloadTask, output: TaskOutput, era: String, timeout: Int) -> [WorkloadTask] {
        let name = "\(skim.name)AlcaHarvest\(output.module)"
        let base = "/store/unmerged/tier0_harvest/\(era)/\(output.module)"
        let payload = TaskOutput(module: conditionLabel, tier: conditionTier, filterName: "", dataset: "",
                                 unmergedLFNBase: base, mergedLFNBase: base, kept: true, transient: true)
        let harvest = WorkloadTask(name: name, path: "\(skim.path)/\(name)", type: .harvesting,
                                   input: .taskOutput(taskPath: skim.path, module: output.module),
                                   splitting: SplittingSpec(algorithm: Tier0Algorithm.alcaHarvest.rawValue,
                                                            parameters: AlcaHarvestParameters(timeout: Double(timeout)).subscriptionParameters),
                                   outputs: [payload])
        let conditionName = "\(name)Condition\(conditionLabel)"
        let condition = WorkloadTask(name: conditionName, path: "\(harvest.path)/\(conditionName)", type: .harvesting,
                                     input: .taskOutput(taskPath: harvest.path, module: conditionLabel),
                                     splitting: SplittingSpec(algorithm: Tier0Algorithm.condition.rawValue))
        return [harvest, condition]
    }
}
