import JobSplitting

/// WorkQueue's Block start policy: one element per catalog block left after the block and run lists and the
/// lumi mask; jobs = `max(1, ceil(count / size))` for the slice type of the task's splitting.
public enum BlockPolicy {
    /// The elements of a task reading a dataset.
    ///
    /// - Throws: `StartPolicyError.unknownDataset` or `.noInputLeft`.
    public static func elements(for task: WorkloadTask, context: ElementContext,
                                catalog: any CatalogLookup) throws(StartPolicyError) -> [ElementBody] {
        let (_, blocks) = try selectedBlocks(task, context: context, catalog: catalog)
        let slice = SliceType.of(task.splitting)
        let elements = blocks.map { block in
            context.element(task: task, policy: .block, inputs: [block.block.name: context.sites(for: block.block.locations)],
                            jobs: SliceType.jobs(count: count(slice.type, block), size: slice.size),
                            events: block.eventCount, lumis: block.lumiCount, files: block.fileCount)
        }
        return ValidationSample.mark(elements, requested: context.validationSample != nil)
    }

    /// Work added later to an open request: elements for the selected blocks no existing element reads yet.
    ///
    /// - Throws: `StartPolicyError.unknownDataset`; an input with nothing left gives no new element.
    public static func newElements(for task: WorkloadTask, context: ElementContext, catalog: any CatalogLookup,
                                   existing: [ElementBody]) throws(StartPolicyError) -> [ElementBody] {
        let known = Set(existing.flatMap(\.inputs.keys))
        var later = context
        later.validationSample = nil   // the sample was the first element made, not one added later
        let all: [ElementBody]
        do { all = try elements(for: task, context: later, catalog: catalog) } catch .noInputLeft { return [] }
        return all.filter { $0.inputs.keys.allSatisfy { !known.contains($0) } }
    }

    /// The units of `type` in a selected block.
    public static func count(_ type: SliceType, _ block: SelectedBlock) -> Int {
        type.count(files: block.fileCount, events: block.eventCount, lumis: block.lumiCount, runs: block.runs.count)
    }

    /// The task's dataset and the blocks its selection keeps. Unless the site lists are trusted, at least one kept
    /// block must have a replica somewhere: work no site holds could never be pulled.
    ///
    /// - Throws: `.noInputLeft` naming what emptied the selection.
    static func selectedBlocks(_ task: WorkloadTask, context: ElementContext, catalog: any CatalogLookup) throws(StartPolicyError)
        -> (CatalogDataset, [SelectedBlock]) {
        guard case let .dataset(name, selection) = task.input else { throw .unknownDataset(task: task.path, dataset: "<none>") }
        guard let dataset = catalog.dataset(named: name) else { throw .unknownDataset(task: task.path, dataset: name) }
        let blocks = dataset.select(selection)
        let runnable = context.trustSitelists || blocks.contains { !$0.block.locations.isEmpty }
        guard blocks.isEmpty || !runnable else { return (dataset, blocks) }
        let why = dataset.emptySelection(selection, requireReplica: !context.trustSitelists)
            ?? EmptySelection(emptiedBy: .noFile, blocks: dataset.blocks.map(\.name))
        throw .noInputLeft(task: task.path, dataset: name, why: why)
    }
}

/// WorkQueue's Dataset start policy (DQMHarvest): one element for the whole selected dataset, sliced by runs
/// (size 1), at the sites holding any of its selected blocks.
public enum DatasetPolicy {
    /// The single element of a task reading a dataset as a whole.
    ///
    /// - Throws: `StartPolicyError.unknownDataset` or `.noInputLeft`.
    public static func elements(for task: WorkloadTask, context: ElementContext,
                                catalog: any CatalogLookup) throws(StartPolicyError) -> [ElementBody] {
        let (dataset, blocks) = try BlockPolicy.selectedBlocks(task, context: context, catalog: catalog)
        let runs = Set(blocks.flatMap(\.runs))
        let locations = Array(Set(blocks.flatMap(\.block.locations)))
        let element = context.element(task: task, policy: .dataset, inputs: [dataset.name: context.sites(for: locations)],
                                      jobs: SliceType.jobs(count: runs.count, size: 1),
                                      events: SaturatingArithmetic.sum(blocks.lazy.map(\.eventCount)),
                                      lumis: SaturatingArithmetic.sum(blocks.lazy.map(\.lumiCount)),
                                      files: SaturatingArithmetic.sum(blocks.lazy.map(\.fileCount)))
        return ValidationSample.mark([element], requested: context.validationSample != nil)
    }
}
