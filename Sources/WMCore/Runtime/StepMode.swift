/// What the cmsRun step of a job does, chosen from the job's task type.
public enum StepMode: String, Codable, Hashable, Sendable, CaseIterable {
    /// Monte Carlo generation (Production).
    case generate
    /// Read inputs through the job mask into filtered outputs (Processing, Skim).
    case process
    /// Concatenate the inputs, in order, into one output (Merge).
    case merge
    /// Split streamer inputs into one output per primary dataset (Repack).
    case repack
    /// Express: route streamer inputs to its event outputs by trigger mask (FEVT of the express datasets, the
    /// `Stream<name>` dataset with mask 0, ALCARECO with its subset of paths) and write a DQMIO summary (Express).
    case express
    /// Read every input and write a small DQM summary (Harvesting).
    case harvest
    /// Delete the input files (Cleanup).
    case cleanup
    /// Gather the input log archives into one tar (LogCollect).
    case logCollect

    /// The mode of a WMCore task type.
    /// - Throws: `RuntimePlanError.unknownTaskType` for any other type.
    public init(taskType: String) throws(RuntimePlanError) {
        guard let type = TaskType(rawValue: taskType) else { throw .unknownTaskType(taskType) }
        self.init(type)
    }

    /// The mode of a task type.
    public init(_ taskType: TaskType) {
        switch taskType {
        case .production: self = .generate
        case .processing, .skim: self = .process
        case .express: self = .express
        case .merge: self = .merge
        case .repack: self = .repack
        case .harvesting: self = .harvest
        case .cleanup: self = .cleanup
        case .logCollect: self = .logCollect
        }
    }

    /// Whether the step is a CMSSW step whose report gets WMCore's post-run checks (60450, 60451,
    /// 70452). Cleanup and LogCollect are not cmsRun steps in WMCore.
    public var runsCMSSW: Bool { self != .cleanup && self != .logCollect }

    /// Whether the step must write at least one output file.
    public var expectsOutput: Bool { self != .cleanup }
}
