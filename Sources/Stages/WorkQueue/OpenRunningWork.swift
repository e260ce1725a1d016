import Commands
import Foundation
import SpoolKit
import SpoolLayout
import WMCore

extension GlobalWorkQueueStage {
    /// Request statuses in which work open for new data still looks for it.
    static let lookingForNewData: Set<RequestStatus> = [.staged, .acquired, .runningOpen]

    /// Keeps the work of requests with `OpenRunningTimeout` > 0 open for new data (`OpenRunning`): while the request
    /// is staged, acquired or running-open, blocks of its input dataset that appeared in the catalog since (e.g. by
    /// `wmctl catalog import`) get Available elements; once `OpenRunningTimeout` seconds pass without new data — or
    /// the request left those statuses (aborted, force-completed, failed) — its elements are closed for new data,
    /// after which the agents may declare the workflow injected and close its filesets.
    func addNewDataOrClose(manager: RequestManager, store: ElementStore, context: StageContext) throws -> CycleReport {
        let now = context.now()
        var byRequest: [String: [ElementDocument]] = [:]
        for element in try store.elements(now: now) { byRequest[element.requestName, default: []].append(element) }
        var report = CycleReport()
        for (requestName, elements) in byRequest.sorted(by: { $0.key < $1.key }) where elements.contains(where: \.openForNewData) {
            let status = manager.locate(requestName)
            let reason: String
            if let status, Self.lookingForNewData.contains(status) {
                let request = try manager.load(requestName, now: now)
                let timeout = OpenRunning.timeout(of: request.arguments)
                if timeout > 0 {
                    guard let workload = try store.workload(requestName) else {
                        throw DocumentProblem("no workload stored for request \(requestName) in \(ElementStore.workloads)")
                    }
                    let added: [ElementBody]
                    do {
                        added = try OpenRunning.newElements(workload: workload, context: ElementContext(request: request.body, at: now),
                                                            catalog: manager.catalog, existing: elements.map(\.body))
                    } catch {
                        context.log.warning("cannot look for new data", ["request": requestName, "reason": error.description])
                        continue
                    }
                    if !added.isEmpty {
                        report.done += try publish(added, store: store, context: context)
                        context.log.info("new data found: elements added", ["request": requestName, "elements": String(added.count),
                                                                           "blocks": added.flatMap(\.inputs.keys).sorted().joined(separator: " ")])
                        continue
                    }
                    guard OpenRunning.expired(elements.map(\.body), timeout: timeout, now: now) else { continue }
                }
                let idle = Int(now - OpenRunning.lastFoundNewData(elements.map(\.body)))
                reason = "no new data for \(idle) s (OpenRunningTimeout \(timeout) s)"
            } else {
                reason = "request is \(status?.rawValue ?? "not found")"
            }
            report.done += try close(elements.filter(\.openForNewData), store: store, context: context)
            context.log.info("work closed for new data", ["request": requestName, "reason": reason])
        }
        return report
    }

    /// Publishes new Available elements (none under `--dry-run`); an element already in any status is left alone.
    private func publish(_ elements: [ElementBody], store: ElementStore, context: StageContext) throws -> Int {
        guard !context.options.dryRun else { return 0 }
        var published = 0
        try context.spool.inBatch { batch in
            for element in elements where !ElementStatus.allCases.contains(where: {
                context.spool.contains(store.area.fileName(element.name), in: store.area.folder($0))
            }) {
                try batch.publish(try store.area.encode(ElementDocument(element)), as: store.area.fileName(element.name),
                                  in: store.area.folder(element.state))
                published += 1
            }
        }
        return published
    }

    /// Clears `openForNewData` on the elements in place (none under `--dry-run`). An element that moved meanwhile keeps
    /// its flag and is closed on the next cycle.
    private func close(_ elements: [ElementDocument], store: ElementStore, context: StageContext) throws -> Int {
        guard !context.options.dryRun else { return 0 }
        try context.spool.inBatch { batch in
            for old in elements {
                var element = old
                element.openForNewData = false
                _ = try store.save(element, from: element.state, in: batch)
            }
        }
        return elements.count
    }
}
