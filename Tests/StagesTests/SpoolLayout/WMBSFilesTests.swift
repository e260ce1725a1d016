import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// WMBS file documents and bundles: adding, moving part or all of a bundle, replays, failures.
@Suite struct WMBSFilesTests {
    /// Every document of a subscription's folder, by name → its files' keys.
    func layout(_ f: WMBSFixture, _ sub: String, _ state: FileState) throws -> [String: Set<String>] {
        Dictionary(uniqueKeysWithValues: try f.store.documents(f.workflow, sub, in: state).map { ($0.name, Set($0.keys)) })
    }

    /// How many copies of each key the subscription's four folders hold.
    func copies(_ f: WMBSFixture, _ sub: String) throws -> [String: Int] {
        var count: [String: Int] = [:]
        for state in FileState.allCases {
            for doc in try f.store.documents(f.workflow, sub, in: state) { for key in doc.keys { count[key, default: 0] += 1 } }
        }
        return count
    }

    @Test func markingAWorkflowTheTaskArchiverClosedMeanwhileIsNoErrorAndMakesNoFolder() throws {
        let spool = try Spool(root: TestSupport.temporaryDirectory("wf-injected-closed"), durability: .none)
        let store = WMBSStore(spool: spool)
        try spool.ensureDirectories([Layout.wmbsRoot])
        try store.markInjected("closed-meanwhile")
        #expect(!store.isInjected("closed-meanwhile") && !spool.isFolder(Layout.wmbs("closed-meanwhile").root))
        try spool.ensureDirectories([Layout.wmbs("open").root])
        try store.markInjected("open")
        #expect(store.isInjected("open"))
    }

    @Test func anAddIsOneBundleHardLinkedIntoEveryConsumerAndNeverAddsAFileTwice() throws {
        let f = try WMBSFixture("wf-add")
        let a = WMBSFixture.subscription("A", algorithm: .fileBased, parameters: ["files_per_job": 2])
        var b = WMBSFixture.subscription("B", algorithm: .fileBased, parameters: ["files_per_job": 2])
        b.inputFileset = a.inputFileset
        try f.spool.inBatch { batch in
            try f.store.create(workflow: f.workflow, subscriptions: [a, b],
                               filesets: [Fileset(name: a.inputFileset, open: true, consumers: ["A", "B"])], in: batch)
        }
        let files = WMBSFixture.files(5)
        try f.add(files, to: a.inputFileset)
        let inA = try layout(f, "A", .available)
        #expect(inA.count == 1 && inA.values.first == Set(files.map { FileKey.of($0.lfn) }))
        #expect(try layout(f, "B", .available) == inA)
        let name = try #require(inA.keys.first)
        #expect(name.hasPrefix("b"))
        var st = stat()
        #expect(lstat(f.spool.path(f.store.fileFolder(f.workflow, "A", .available)) + "/" + name, &st) == 0 && st.st_nlink == 2,
                "one inode for both consumers")
        // The same files again (a replayed injection), plus one new: only the new one is added, on its own.
        let more = WMBSFixture.files(6)
        var added = 0
        try f.spool.inBatch { added = try f.store.add(more, toFileset: a.inputFileset, workflow: f.workflow, in: $0) }
        #expect(added == 2)
        #expect(try copies(f, "A").values.allSatisfy { $0 == 1 } && copies(f, "A").count == 6)
        #expect(try f.fileKeys("B", .available).count == 6)
    }

    @Test func jobsTakeTheirFilesIntoTheirOwnDocumentsAndTheRestStaysAvailable() throws {
        let f = try WMBSFixture("wf-partial")
        // Files of 1, 2, 3, 4 and 5 kB; the fileset is open, so files under the minimum size wait.
        let sub = WMBSFixture.subscription("Proc", type: "Merge", algorithm: .parentlessMergeBySize,
                                           parameters: ["min_merge_size": 4500, "max_merge_size": 6000, "max_merge_events": 100_000, "max_wait_time": 1_000_000_000])
        try f.subscribe(sub)
        try f.add(WMBSFixture.files(5), to: sub.inputFileset)
        try f.runCycle()
        let jobs = try f.jobs(in: .created)
        let taken = jobs.reduce(0) { $0 + $1.inputFiles.count }
        #expect(!jobs.isEmpty && taken < 5, "some files wait")
        let acquired = try layout(f, "Proc", .acquired)
        #expect(acquired == Dictionary(uniqueKeysWithValues: jobs.map { job in
            (WMBSStore.jobBundleName(job.name), Set(job.inputFiles.map { FileKey.of($0.lfn) }))
        }))
        // A job that owns every file it reads has its job document, hard-linked, as its acquired document (and
        // as its marker, `wmbs/<wf>/<sub>/jobs/<job>.json`: three names, one inode).
        var job = stat(), acquiredDocument = stat()
        #expect(lstat(f.spool.path("jobs/created/\(jobs[0].name).json"), &job) == 0)
        #expect(lstat(f.spool.path(f.store.fileFolder(f.workflow, "Proc", .acquired)) + "/" + WMBSStore.jobBundleName(jobs[0].name),
                      &acquiredDocument) == 0)
        #expect(job.st_ino == acquiredDocument.st_ino && job.st_nlink == 3)
        let available = try layout(f, "Proc", .available)
        #expect(available.count == 1 && available.values.first?.count == 5 - taken, "the bundle keeps the files left")
        #expect(try copies(f, "Proc").count == 5 && copies(f, "Proc").values.allSatisfy { $0 == 1 })
        // Closing the fileset releases them.
        try f.close(sub.inputFileset)
        try f.runCycle()
        #expect(try layout(f, "Proc", .available).isEmpty)
        #expect(try layout(f, "Proc", .acquired).count == f.jobs(in: .created).count)
        #expect(try copies(f, "Proc").count == 5 && copies(f, "Proc").values.allSatisfy { $0 == 1 })
    }

    /// A workflow whose subscription `Proc` (FileBased, 2 files per job) has four available files.
    func procWithFourFiles(_ workflow: String) throws -> (f: WMBSFixture, files: [SplitFile], available: String) {
        let f = try WMBSFixture(workflow)
        let sub = WMBSFixture.subscription("Proc", algorithm: .fileBased, parameters: ["files_per_job": 2])
        try f.subscribe(sub)
        let files = WMBSFixture.files(4)
        try f.add(files, to: sub.inputFileset)
        return (f, files, f.store.fileFolder(f.workflow, "Proc", .available))
    }

    @Test func aRelocationReplayedAfterItsNewDocumentWasPublishedOnlyRewritesTheSource() throws {
        let (f, files, available) = try procWithFourFiles("wf-relocate")
        let acquired = f.store.fileFolder(f.workflow, "Proc", .acquired)
        let source = try #require(try f.store.documents(f.workflow, "Proc", in: .available).first)
        let keys = files.prefix(2).map { FileKey.of($0.lfn) }
        // The crash: the new document is in place, the source still holds its files.
        try f.spool.publish(WMBSStore.encodeFiles(Array(files.prefix(2))), as: "j000001.json", in: acquired)
        try f.spool.inBatch { batch in
            try f.store.relocate([.init(target: "j000001.json", in: acquired, keys: keys)], from: [(available, source)],
                                 workflow: f.workflow, subscription: "Proc", in: batch)
        }
        #expect(try layout(f, "Proc", .acquired) == ["j000001.json": Set(keys)])
        #expect(try layout(f, "Proc", .available) == [source.name: Set(files.suffix(2).map { FileKey.of($0.lfn) })])
        // Relocating the rest, all of one document into one target: a rename, the source is gone.
        let rest = try #require(try f.store.documents(f.workflow, "Proc", in: .available).first)
        try f.spool.inBatch { batch in
            try f.store.relocate([.init(target: "j000002.json", in: acquired, keys: rest.keys)], from: [(available, rest)],
                                 workflow: f.workflow, subscription: "Proc", in: batch)
        }
        #expect(try f.spool.scan(available).names.isEmpty)
        #expect(try copies(f, "Proc").count == 4 && copies(f, "Proc").values.allSatisfy { $0 == 1 })
    }

    @Test func aFailedJobTakesEveryInputToFailedEvenOnesAnotherJobCompleted() throws {
        let f = try WMBSFixture("wf-fail")
        // EventBased over one real file: every job reads the same file, which the first job's document holds.
        let sub = WMBSFixture.subscription("Proc", algorithm: .eventBased, parameters: ["events_per_job": 100])
        try f.subscribe(sub, open: false)
        try f.add(WMBSFixture.files(1, events: 300), to: sub.inputFileset)
        try f.runCycle()
        let jobs = try f.jobs(in: .created)
        #expect(jobs.count == 3)
        #expect(try Array(layout(f, "Proc", .acquired).keys) == [WMBSStore.jobBundleName(jobs[0].name)])
        // The first job succeeds: its document (with the shared file) goes to completed.
        let folder = { (state: FileState) in f.store.fileFolder(f.workflow, "Proc", state) }
        _ = try f.spool.move(WMBSStore.jobBundleName(jobs[0].name), from: folder(.acquired), to: folder(.completed))
        // The third fails: the file leaves completed for failed, under the failed job's name.
        let key = FileKey.of(jobs[2].inputFiles[0].lfn)
        try f.store.fail([key], workflow: f.workflow, subscription: "Proc", as: WMBSStore.jobBundleName(jobs[2].name),
                         hint: WMBSStore.jobBundleName(jobs[2].name))
        #expect(try layout(f, "Proc", .failed) == [WMBSStore.jobBundleName(jobs[2].name): [key]])
        #expect(try f.spool.scan(folder(.completed)).names.isEmpty && f.spool.scan(folder(.acquired)).names.isEmpty)
        // Failing it again (a replay) changes nothing.
        try f.store.fail([key], workflow: f.workflow, subscription: "Proc", as: WMBSStore.jobBundleName(jobs[2].name),
                         hint: WMBSStore.jobBundleName(jobs[2].name))
        #expect(try copies(f, "Proc") == [key: 1])
    }

    @Test func aDocumentThatIsNotAFileNamesItsFile() throws {
        let f = try WMBSFixture("wf-bad")
        let sub = WMBSFixture.subscription("Proc", algorithm: .fileBased, parameters: ["files_per_job": 2])
        try f.subscribe(sub)
        let available = f.store.fileFolder(f.workflow, "Proc", .available)
        try f.spool.publish(Array("[{\"lfn\": \"/store/x.root\", \"size\": \"big\"}]\n".utf8), as: "b-bad.json", in: available)
        #expect {
            _ = try f.store.documents(f.workflow, "Proc", in: .available)
        } throws: { error in
            "\(error)".contains("b-bad.json") && "\(error)".contains("size")
        }
    }

    @Test func theJobCreatorQuarantinesADocumentThatIsNotAFileAndSplitsTheRest() throws {
        let (f, files, available) = try procWithFourFiles("wf-bad-cycle")
        let bad = Array("[{\"lfn\": \"/store/x.root\", \"size\": \"big\"}]\n".utf8)
        try f.spool.publish(bad, as: "b-bad.json", in: available)
        #expect(try f.runCycle().done == 2)
        // The good files are in jobs; the bad document is kept, whole, beside its folder with a reason naming it and the field.
        #expect(try f.fileKeys("Proc", .acquired) == Set(files.map { FileKey.of($0.lfn) }))
        #expect(try f.spool.scan(available).names.isEmpty)
        let corrupt = f.spool.corruptDirectory(for: available)
        #expect(try f.spool.read("b-bad.json", in: corrupt) == bad)
        let reason = String(decoding: try #require(try f.spool.read("b-bad.json.reason", in: corrupt)), as: UTF8.self)
        #expect(reason.contains("b-bad.json") && reason.contains("size"))
        // A second cycle has nothing left to do and does not stop.
        #expect(try f.runCycle().done == 0)
    }
}
