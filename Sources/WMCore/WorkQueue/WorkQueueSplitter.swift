/// Splits a request's workload into work-queue elements with the start policy of each top-level task.
public enum WorkQueueSplitter {
    /// The elements of every top-level task of the workload.
    ///
    /// - Parameters:
    ///   - acdc: the ACDC record of a Resubmission's initial task.
    ///   - monteCarlo: MonteCarlo limits.
    /// - Throws: `StartPolicyError` from the policies, or `.missingACDC` for a Resubmission without a record.
    public static func elements(workload: Workload, context: ElementContext, catalog: any CatalogLookup,
                                acdc: ACDCRecord? = nil, monteCarlo: MonteCarloPolicy = MonteCarloPolicy(),
                                acdcServer: String = "https://cmsweb.cern.ch/couchdb",
                                acdcDatabase: String = "acdcserver") throws(StartPolicyError) -> [ElementBody] {
        var elements: [ElementBody] = []
        for task in workload.topLevelTasks {
            switch StartPolicy.of(task, requestType: workload.requestType) {
            case .monteCarlo: elements += try monteCarlo.elements(for: task, context: context)
            case .block: elements += try BlockPolicy.elements(for: task, context: context, catalog: catalog)
            case .dataset: elements += try DatasetPolicy.elements(for: task, context: context, catalog: catalog)
            case .resubmitBlock:
                guard let acdc else { throw .missingACDC(task: task.path) }
                elements += try ResubmitBlockPolicy.elements(for: task, record: acdc, context: context,
                                                            server: acdcServer, database: acdcDatabase)
            }
        }
        return elements
    }
}
