import Dispatch
import Foundation
import Synchronization
import Testing
import TestSupport
@testable import SpoolKit

/// Issue 17 (files): whatever sits in a queue where a document should be — a FIFO, a link, a directory, a
/// file too large, a hidden or undecodable name — is refused without blocking, quarantined with its reason
/// once, and moved out of the queue; published bytes never change under a reader.
@Suite struct HostileFileTests {
    let spool: Spool

    init() throws {
        spool = try Spool(root: TestSupport.temporaryDirectory("hostile"))
        try spool.ensureDirectories(["q/new"])
    }

    /// Runs `body`; should it still run after `seconds` while blocked opening the FIFO at `fifo`, the FIFO's
    /// write end is opened (which releases the blocked open) and the test fails instead of hanging.
    func failingInsteadOfBlocking(on fifo: String, seconds: Double = 5, _ body: () throws -> Void) throws {
        let finished = DispatchSemaphore(value: 0)
        let released = Atomic<Bool>(false)
        let watchdog = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            if finished.wait(timeout: .now() + seconds) == .timedOut {
                // A non-blocking open of the write end succeeds only while a reader waits in open().
                let fd = open(fifo, O_WRONLY | O_NONBLOCK)
                if fd >= 0 {
                    released.store(true, ordering: .relaxed)
                    close(fd)
                }
                finished.wait()
            }
            watchdog.signal()
        }
        let outcome = Result { try body() }
        finished.signal()
        watchdog.wait()
        let blocked = released.load(ordering: .relaxed)
        #expect(!blocked, "reading \(fifo) blocked until the test opened its write end")
        try outcome.get()
    }

    /// The `.reason` files in `q/corrupt/`.
    func reasons() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: spool.path("q/corrupt")).filter { $0.hasSuffix(".reason") }
    }

    func reasonText() throws -> String {
        let names = try reasons()
        #expect(names.count == 1, "\(names)")
        return try String(contentsOfFile: spool.path("q/corrupt/" + (names.first ?? "")), encoding: .utf8)
    }

    @Test func aFIFOIsRefusedAtOnceAndQuarantinedOnce() throws {
        let fifo = spool.path("q/new/pipe.json")
        #expect(mkfifo(fifo, 0o644) == 0)
        try failingInsteadOfBlocking(on: fifo) {
            #expect(throws: RefusedFile(path: fifo, problem: .notRegular(.fifo), limit: Spool.documentSizeLimit)) {
                try spool.read("pipe.json", in: "q/new")
            }
            var told: [String] = []
            let first = try spool.readQueued("pipe.json", in: "q/new", quarantined: { told.append($0) })
            #expect(first == nil)
            #expect(told == ["q/new/pipe.json is a FIFO (named pipe); expected a regular file of at most \(Spool.documentSizeLimit) bytes"])
            let second = try spool.readQueued("pipe.json", in: "q/new")
            #expect(second == nil, "gone from the queue: nothing more to do")
        }
        #expect(!SystemCall.exists(fifo))
        #expect(FileKind(mode: try #require(try SystemCall.lstat(spool.path("q/corrupt/pipe.json"))).st_mode) == .fifo)
        #expect(try reasonText().contains("is a FIFO (named pipe); expected a regular file"))
    }

    @Test func linksDirectoriesAndOversizedFilesAreRefusedWithWhatWasFound() throws {
        try spool.publish(Array("{}".utf8), as: "real.json", in: "q/new")
        #expect(symlink(spool.path("q/new/real.json"), spool.path("q/new/link.json")) == 0)
        try FileManager.default.createDirectory(atPath: spool.path("q/new/dir.json"), withIntermediateDirectories: false)
        let big = spool.path("q/new/big.json")
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        #expect(truncate(big, off_t(Spool.documentSizeLimit + 1)) == 0)  // sparse: no disk used
        func refusal(_ name: String) -> RefusedFile.Problem? {
            do { _ = try spool.read(name, in: "q/new"); return nil } catch let refused as RefusedFile { return refused.problem } catch { return nil }
        }
        #expect(refusal("link.json") == .notRegular(.symbolicLink))
        #expect(refusal("dir.json") == .notRegular(.directory))
        #expect(refusal("big.json") == .tooLarge(size: Spool.documentSizeLimit + 1))
        #expect(try spool.read("real.json", in: "q/new") == Array("{}".utf8))
        #expect(try spool.read("big.json", in: "q/new", limit: Spool.documentSizeLimit + 1)?.count == Spool.documentSizeLimit + 1,
                "the limit is the caller's")

        #expect(try spool.readQueued("big.json", in: "q/new") == nil)
        #expect(!SystemCall.exists(big))
        #expect(try reasonText().contains("q/new/big.json is \(Spool.documentSizeLimit + 1) bytes, too large; expected a regular file of at most \(Spool.documentSizeLimit) bytes"))
    }

    @Test func aNameThatIsNotUTF8IsQuarantinedOnceAndLeavesTheQueue() throws {
        let bytes: [UInt8] = Array("bad".utf8) + [0xFF, 0xFE] + Array(".json".utf8)
        let path = (Array(spool.path("q/new/").utf8) + bytes + [0]).map { CChar(bitPattern: $0) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0)
        close(fd)
        try spool.publish(Array("{}".utf8), as: "good.json", in: "q/new")

        for _ in 0..<2 {  // two stage runs
            let scan = try spool.scan("q/new")
            #expect(scan.names == ["good.json"])
            for entry in scan.ignored { try spool.quarantine(entry, in: "q/new") }
        }
        #expect(try spool.scan("q/new").ignored.isEmpty, "moved out by its exact bytes")
        let reason = try reasonText()
        #expect(reason.contains("(bytes 62 61 64 ff fe 2e 6a 73 6f 6e) is not valid UTF-8"), "\(reason)")
    }

    @Test func aHiddenNameIsQuarantinedOnce() throws {
        #expect(FileManager.default.createFile(atPath: spool.path("q/new/..dots.json"), contents: Data("{}".utf8)))
        for _ in 0..<2 {
            for entry in try spool.scan("q/new").ignored { try spool.quarantine(entry, in: "q/new") }
        }
        #expect(!SystemCall.exists(spool.path("q/new/..dots.json")))
        let reason = try reasonText()
        #expect(reason.contains("file: q/new/..dots.json") && reason.contains("is a hidden name (it starts with a dot)"), "\(reason)")
    }

    @Test func aQuarantineOfSomethingAlreadyGoneLeavesNoReason() throws {
        #expect(try spool.quarantine("never-there.json", in: "q/new", reason: "test") == nil)
        #expect(try reasons().isEmpty)
    }

    @Test func heldDocumentsKeepTheirBytesWhileTheSpoolReplacesAndRemovesThem() throws {
        var held: [(fd: Int32, bytes: [UInt8])] = []
        defer { for h in held { close(h.fd) } }
        for i in 0..<20 {
            let bytes = Array("{\"version\": 1, \"n\": \(i)}".utf8)
            try spool.publish(bytes, as: "d\(i).json", in: "q/new")
            let fd = open(spool.path("q/new/d\(i).json"), O_RDONLY)
            #expect(fd >= 0)
            held.append((fd, bytes))
        }
        // Every document replaced, then removed; many new ones written after.
        try spool.inBatch { batch in
            for i in 0..<20 { try batch.replaceContent(of: "d\(i).json", in: "q/new", with: Array("{\"version\": 2, \"n\": \(i), \"pad\": \"xxxxxxxx\"}".utf8)) }
        }
        try spool.inBatch { batch in for i in 0..<20 { batch.discard("d\(i).json", in: "q/new") } }
        for i in 0..<200 { try spool.publish(Array("{\"other\": \(i)}".utf8), as: "o\(i).json", in: "q/new") }
        for h in held {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = pread(h.fd, &buffer, buffer.count, 0)
            #expect(Array(buffer.prefix(max(n, 0))) == h.bytes)
        }
    }
}
