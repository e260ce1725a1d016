import Testing
import WMCore

/// WMBS's fileset-closing rule, without a spool.
@Suite struct FilesetClosingTests {
    /// A merge's unmerged fileset closes when its producer is idle, and the merged fileset its merge feeds
    /// closes in the same pass once its parent is closed and the merge is idle too.
    @Test func closingCascadesFromParentToChild() {
        let unmerged = Fileset(name: "/wf/Proc/unmerged-RAW", producers: ["Proc"], consumers: ["ProcMerge"])
        let merged = Fileset(name: "/wf/Proc/ProcMerge/merged-RAW", producers: ["ProcMerge"], parent: unmerged.name)
        let closed = FilesetClosing.closing([merged, unmerged], isIdle: { _ in true })
        #expect(closed.map(\.name) == [unmerged.name, merged.name])
        #expect(closed.allSatisfy { !$0.open })
    }

    /// A busy producer keeps its fileset and every child open; an input fileset (no producer) and a closed
    /// one never appear; each producer is asked at most once.
    @Test func busyProducersAndInputFilesetsStayOpen() {
        let unmerged = Fileset(name: "u", producers: ["Proc"])
        let merged = Fileset(name: "m", producers: ["ProcMerge"], parent: "u")
        let input = Fileset(name: "input")
        let done = Fileset(name: "done", open: false, producers: ["Old"])
        var asked: [String] = []
        let closed = FilesetClosing.closing([unmerged, merged, input, done]) { subscription in
            asked.append(subscription)
            return subscription != "Proc"
        }
        #expect(closed.isEmpty)
        #expect(asked == ["Proc"])
    }
}
