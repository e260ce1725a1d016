/// StepChain parentage (WMCore's `ChainParentageMap` and `StepChainParentageFixTask`): a StepChain job runs its steps in
/// one job, so a later step's outputs have no input files of their own to take as DBS parents. Their dataset's parent is
/// the dataset of the nearest kept step they descend from (a `KeepOutput: false` step is skipped), and each of their
/// files gets as parents the files of that dataset sharing its runs and lumis.
extension WorkloadTask {
    /// Each output dataset of a StepChain task → the dataset of the nearest kept ancestor step (WMCore's
    /// `StepChain.findParentStepWithOutputDataset`); the first step's outputs → the task's input dataset, if any. Outputs
    /// with no such ancestor (a generating chain's first step, or every step above it dropped) are absent. Empty for
    /// every task that is not a StepChain.
    public var chainParentage: [String: String] {
        guard let steps = chainSteps, !steps.isEmpty else { return [:] }
        var inputDataset: String?
        if case .dataset(let name, _) = input { inputDataset = name }
        var parentOfStep: [Int] = []   // index → the step index it reads (itself for the first step)
        var map: [String: String] = [:]
        for (index, step) in steps.enumerated() {
            let reads = index == 0 ? nil : step.inputModule.flatMap { module in
                steps[..<index].lastIndex { $0.outputTiers[module] != nil }.map { ($0, module) }
            }
            parentOfStep.append(reads?.0 ?? index)
            guard let parent = reads.map({ nearestKeptDataset(reading: $0.1, of: $0.0, steps: steps, parentOfStep: parentOfStep) })
                    ?? (index == 0 ? inputDataset : nil) else { continue }
            for output in outputs where output.step == step.name && output.kept { map[output.dataset] = parent }
        }
        return map
    }

    /// The dataset of output `module` of step `index` when it is kept, else the nearest kept dataset above that step.
    private func nearestKeptDataset(reading module: String, of index: Int, steps: [ChainStep], parentOfStep: [Int]) -> String? {
        var (stepIndex, stepModule) = (index, module)
        while true {
            let step = steps[stepIndex]
            if let kept = outputs.first(where: { $0.step == step.name && $0.module == stepModule && $0.kept }) { return kept.dataset }
            let parent = parentOfStep[stepIndex]
            guard parent != stepIndex, let module = step.inputModule else {
                if case .dataset(let name, _) = input { return name }
                return nil
            }
            (stepIndex, stepModule) = (parent, module)
        }
    }
}

extension Workload {
    /// The StepChain parentage map of every task: output dataset → the dataset its files take their parents from.
    public var chainParentage: [String: String] {
        tasks.filter { $0.type != .merge }.reduce(into: [:]) { map, task in map.merge(task.chainParentage) { first, _ in first } }
    }
}

/// The files of a parent dataset by run and lumi, to give a StepChain file the parents that share its lumis
/// (WMCore's `DBS3Reader.getParentFilesGivenParentDataset`).
public struct LumiParentIndex: Sendable {
    private var filesByLumi: [RunLumi: [String]] = [:]

    private struct RunLumi: Hashable, Sendable {
        var run: Int
        var lumi: Int
    }

    /// Indexes the valid files of `files` by their runs and lumis.
    public init(files: [CatalogFile]) {
        for file in files where file.isValid {
            for section in file.lumis { filesByLumi[RunLumi(run: section.run, lumi: section.lumi), default: []].append(file.lfn) }
        }
    }

    /// The files holding any of `lumis` (sorted, each once), and the lumis no file holds.
    public func parents(sharing lumis: [LumiSection]) -> (parents: [String], uncovered: [LumiSection]) {
        var parents: Set<String> = []
        var uncovered: [LumiSection] = []
        for section in lumis {
            if let files = filesByLumi[RunLumi(run: section.run, lumi: section.lumi)] { parents.formUnion(files) } else { uncovered.append(section) }
        }
        return (parents.sorted(), uncovered)
    }
}
