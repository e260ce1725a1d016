/// WorkQueue's open-running window (`OpenRunningTimeout` > 0): while a request's Block elements are open for new
/// data, the global queue adds elements for blocks of the input dataset that appear later; it closes the request's
/// work once `OpenRunningTimeout` seconds pass without new data (WorkQueue `closeWork` and the Block policy's
/// `newDataAvailable`/`modifyPolicyForWorkAddition`). A request with 0 is closed from the start.
public enum OpenRunning {
    /// The request's `OpenRunningTimeout` in seconds (0 when absent: the work is closed from the start).
    public static func timeout(of arguments: RequestArguments) -> Int { max(0, arguments.int("OpenRunningTimeout") ?? 0) }

    /// When the request last found new data (WMCore's `TimestampFoundNewData`): the creation time of its newest
    /// element, as every element is made when its data is found. 0 for no element.
    public static func lastFoundNewData(_ elements: [ElementBody]) -> Double {
        elements.map(\.creationTime).max() ?? 0
    }

    /// True when the window is over: `timeout` seconds or more have passed since the request last found new data.
    public static func expired(_ elements: [ElementBody], timeout: Int, now: Double) -> Bool {
        now - lastFoundNewData(elements) >= Double(timeout)
    }

    /// Elements for the blocks of the workload's Block-policy input tasks that no existing element reads yet: the
    /// same selection (block and run lists, lumi mask) and slicing as the first elements.
    ///
    /// - Throws: `StartPolicyError.unknownDataset` when an input dataset left the catalog.
    public static func newElements(workload: Workload, context: ElementContext, catalog: any CatalogLookup,
                                   existing: [ElementBody]) throws(StartPolicyError) -> [ElementBody] {
        var added: [ElementBody] = []
        for task in workload.topLevelTasks where StartPolicy.of(task, requestType: workload.requestType) == .block {
            guard case .dataset = task.input else { continue }
            added += try BlockPolicy.newElements(for: task, context: context, catalog: catalog,
                                                 existing: existing.filter { $0.taskName == task.path })
        }
        return added
    }
}
