/// WMCore `SiblingProcessingBased`: jobs over files every sibling subscription has completed, per PNN.
enum SiblingProcessingBased {
    /// While the fileset is open only full jobs of `files_per_job` are made (a PNN with fewer files waits);
    /// once closed the remainder forms one job and files a sibling failed are failed.
    static func split(_ files: [SplitFile], _ parameters: SplitParameters, _ context: SplitContext) throws -> SplitOutcome {
        let filesPerJob = try parameters.int("files_per_job", default: 10)
        guard filesPerJob > 0 else {
            throw SplittingError.invalidValue(name: "files_per_job", reason: "must be positive, got \(filesPerJob)")
        }
        var factory = JobFactory(subscriptionType: context.subscriptionType)
        let closed = context.filesetClosed
        if closed {
            factory.failedFiles = files.map(\.lfn).filter(context.siblingFailedLFNs.contains)
        }
        var seen = Set<String>()
        var siteOrder: [String] = []
        var bySite: [String: [SplitFile]] = [:]
        for f in files {
            guard context.siblingCompletedLFNs.map({ $0.contains(f.lfn) }) ?? true,
                  !context.siblingFailedLFNs.contains(f.lfn),
                  let pnn = f.locations.first, seen.insert(f.lfn).inserted else { continue }
            if bySite[pnn] == nil { siteOrder.append(pnn) }
            bySite[pnn, default: []].append(f)
        }
        for site in siteOrder {
            let siteFiles = bySite[site]!
            if siteFiles.count < filesPerJob && !closed { continue }
            factory.newGroup(locations: [site])
            var start = 0
            while siteFiles.count - start >= filesPerJob {
                factory.newJob(files: Array(siteFiles[start..<start + filesPerJob]))
                start += filesPerJob
            }
            if closed && start < siteFiles.count {
                factory.newJob(files: Array(siteFiles[start...]))
            }
        }
        return factory.outcome()
    }
}
