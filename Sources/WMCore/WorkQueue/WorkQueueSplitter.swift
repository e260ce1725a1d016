/// Splits a request's workload into work-queue elements with the start policy of each top-level task.
public enum WorkQueueSplitter {
    /// The elements of every top-level task of the workload.
    ///
    /// - Parameters:
    ///   - acdc: the ACDC record of a Resubmission's initial task.
    ///   - monteCarlo: MonteCarlo limits; its `maxJobsPerTask` is the job ceiling of every task (`JobCeiling`).
    /// - Throws: `StartPolicyError` from the policies, `.tooManyJobs` for a task over the ceiling, or `.missingACDC`
    ///   for a Resubmission without a record.
    public static func elements(workload: Workload, context: ElementContext, catalog: any CatalogLookup,
                                acdc: ACDCRecord? = nil, monteCarlo: MonteCarloPolicy = MonteCarloPolicy(),
                                acdcServer: String = "https://cmsweb.cern.ch/couchdb",
                                acdcDatabase: String = "acdcserver") throws(StartPolicyError) -> [ElementBody] {
        var elements: [ElementBody] = []
        for task in workload.topLevelTasks {
            switch StartPolicy.of(task, requestType: workload.requestType) {
            case .monteCarlo: elements += try monteCarlo.elements(for: task, context: context)
            case .block:
                elements += try ceiled(try BlockPolicy.elements(for: task, context: context, catalog: catalog), task, monteCarlo)
            case .dataset:
                elements += try ceiled(try DatasetPolicy.elements(for: task, context: context, catalog: catalog), task, monteCarlo)
            case .resubmitBlock:
                guard let acdc else { throw .missingACDC(task: task.path) }
                elements += try ResubmitBlockPolicy.elements(for: task, record: acdc, context: context,
                                                            server: acdcServer, database: acdcDatabase)
            }
        }
        return elements
    }

    /// `elements` of an input task, refused when together they make more jobs than the ceiling.
    private static func ceiled(_ elements: [ElementBody], _ task: WorkloadTask,
                               _ monteCarlo: MonteCarloPolicy) throws(StartPolicyError) -> [ElementBody] {
        let jobs = JobCeiling.total(elements)
        if let maximum = monteCarlo.maxJobsPerTask, jobs > maximum {
            var dataset = ""
            if case .dataset(let name, _) = task.input { dataset = name }
            throw .tooManyJobs(task: task.path, field: "InputDataset", value: dataset, jobs: jobs, maximum: maximum)
        }
        return elements
    }
}
