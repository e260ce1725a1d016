import Testing
@testable import Tier0

/// §A.3 closeout rules over a run's documents, in any order, late or twice.
@Suite struct RunLedgerTests {
    static func streamer(_ lumi: Int, _ instance: String, _ index: Int = 0, stream: String = "A") -> StorageManagerDocument {
        .streamer(StreamerDocument(run: 5, lumi: lumi, stream: stream, instance: instance,
                                   lfn: "/store/t0streamer/Data/\(stream)/000/000/005/run5_ls\(lumi)_\(instance)_\(index).dat",
                                   path: "/data/\(lumi)_\(instance)_\(index)", events: 10, size: 100))
    }
    static func endOfLumi(_ lumi: Int, _ instance: String, files: Int, stream: String = "A") -> StorageManagerDocument {
        .endOfLumi(EndOfLumiDocument(run: 5, lumi: lumi, stream: stream, instance: instance, files: files))
    }
    static func endOfRun(_ instance: String, lumis: Int, instances: Int = 2) -> StorageManagerDocument {
        .endOfRun(EndOfRunDocument(run: 5, instance: instance, instances: instances, lumis: lumis))
    }

    static func state(_ ledger: RunLedger, _ lumi: Int, stream: String = "A") -> RunLedger.LumiState? {
        ledger.lumis(stream: stream).first { $0.lumi == lumi }
    }

    /// §A.3: closed only when every instance reported; filecount = the sum over instances; final once registered.
    @Test func aLumiClosesWhenEveryInstanceReportedAndFinalClosesWhenItsStreamersAreRegistered() {
        var ledger = RunLedger(run: 5, configuredInstances: 2)
        _ = ledger.record(Self.endOfLumi(1, "sm1", files: 2))
        _ = ledger.record(Self.streamer(1, "sm1", 0))
        _ = ledger.record(Self.streamer(1, "sm1", 1))
        #expect(Self.state(ledger, 1)?.isClosed == false, "sm2 has not reported lumi 1")
        #expect(ledger.feedable(stream: "A", fed: []).isEmpty, "no streamer of a lumi that is not final-closed is fed")
        _ = ledger.record(Self.endOfLumi(1, "sm2", files: 1))
        #expect(Self.state(ledger, 1) == RunLedger.LumiState(lumi: 1, fileCount: 3, registered: 2, isClosed: true))
        #expect(Self.state(ledger, 1)?.isFinalClosed == false)
        #expect(ledger.feedable(stream: "A", fed: []).isEmpty)
        _ = ledger.record(Self.streamer(1, "sm2", 0))
        #expect(Self.state(ledger, 1)?.isFinalClosed == true)
        #expect(ledger.feedable(stream: "A", fed: []).count == 3)
        #expect(ledger.feedable(stream: "A", fed: Set(ledger.streamers.keys.prefix(1))).count == 2, "fed streamers are not fed again")
    }

    /// Without a known instance count (no end-of-run, none configured) nothing closes: a silent instance could hold any lumi.
    @Test func nothingClosesWhileTheInstanceCountIsUnknown() {
        var ledger = RunLedger(run: 5)
        _ = ledger.record(Self.endOfLumi(1, "sm1", files: 0))
        #expect(Self.state(ledger, 1)?.isClosed == false)
        _ = ledger.record(Self.endOfRun("sm1", lumis: 3))
        #expect(ledger.expectedInstances == 2 && Self.state(ledger, 1)?.isClosed == false && !ledger.isEnded)
    }

    /// §A.3: an empty lumi closes with filecount 0 and is final-closed at once.
    @Test func anEmptyLumiClosesWithFileCountZero() {
        var ledger = RunLedger(run: 5, configuredInstances: 2)
        _ = ledger.record(Self.endOfLumi(4, "sm1", files: 0))
        _ = ledger.record(Self.endOfLumi(4, "sm2", files: 0))
        #expect(Self.state(ledger, 4) == RunLedger.LumiState(lumi: 4, fileCount: 0, registered: 0, isClosed: true))
        #expect(Self.state(ledger, 4)?.isFinalClosed == true)
    }

    /// §A.3: an ended instance with fewer lumis is not expected to report; the run ends when all M ended; lumicount = max.
    @Test func anEndedInstanceWithFewerLumisIsNotExpectedAndTheRunEndsWithTheLargestLumiCount() {
        var ledger = RunLedger(run: 5)
        _ = ledger.record(Self.endOfRun("sm2", lumis: 2))
        _ = ledger.record(Self.endOfLumi(3, "sm1", files: 1))
        _ = ledger.record(Self.streamer(3, "sm1"))
        #expect(Self.state(ledger, 3)?.isFinalClosed == true, "sm2 ended at lumi 2, so only sm1 could hold lumi 3")
        _ = ledger.record(Self.endOfLumi(2, "sm1", files: 0))
        #expect(Self.state(ledger, 2)?.isClosed == false, "sm2 saw lumi 2 and has not reported it")
        #expect(!ledger.isEnded && ledger.lumiCount == nil)
        _ = ledger.record(Self.endOfRun("sm1", lumis: 3))
        #expect(ledger.isEnded && ledger.lumiCount == 3)
    }

    /// §A.1/§A.3: documents twice are idempotent; contradicting ones are conflicts that change nothing.
    @Test func documentsTwiceAreIdempotentAndContradictionsAreConflicts() {
        var ledger = RunLedger(run: 5, configuredInstances: 1)
        #expect(ledger.record(Self.streamer(1, "sm1")) == .recorded)
        #expect(ledger.record(Self.streamer(1, "sm1")) == .duplicate)
        guard case .streamer(var changed) = Self.streamer(1, "sm1") else { return }
        changed.size = 7
        #expect(ledger.record(.streamer(changed)) != .recorded && ledger.streamers.count == 1)
        #expect(ledger.record(Self.endOfLumi(1, "sm1", files: 1)) == .recorded)
        #expect(ledger.record(Self.endOfLumi(1, "sm1", files: 1)) == .duplicate)
        if case .conflict(let why) = ledger.record(Self.endOfLumi(1, "sm1", files: 2)) {
            #expect(why.contains("with 1 files before, now 2"))
        } else { Issue.record("a changed file count is no conflict") }
        #expect(ledger.record(Self.endOfRun("sm1", lumis: 1, instances: 1)) == .recorded)
        #expect(ledger.record(Self.endOfRun("sm1", lumis: 1, instances: 1)) == .duplicate)
        #expect(ledger.record(Self.endOfRun("sm2", lumis: 1, instances: 2)) != .recorded)
        #expect(ledger.record(.endOfRun(EndOfRunDocument(run: 6, instance: "x", instances: 1, lumis: 1))) != .recorded)
        #expect(Self.state(ledger, 1)?.fileCount == 1 && Self.state(ledger, 1)?.isFinalClosed == true)
    }

    /// Order does not matter: every permutation of the same documents ends in the same ledger.
    @Test func anyArrivalOrderGivesTheSameLedger() {
        let documents = [Self.endOfLumi(1, "sm1", files: 1), Self.streamer(1, "sm1"), Self.endOfLumi(1, "sm2", files: 0),
                         Self.endOfRun("sm1", lumis: 1), Self.endOfRun("sm2", lumis: 1)]
        var reference = RunLedger(run: 5)
        for d in documents { _ = reference.record(d) }
        for shift in 1..<documents.count {
            var ledger = RunLedger(run: 5)
            for d in (documents[shift...] + documents[..<shift]).reversed() { _ = ledger.record(d) }
            #expect(ledger == reference)
        }
        #expect(reference.isFilesetClosable(stream: "A", fed: Set(reference.streamers.keys)))
    }

    /// §A.3 CloseRunStreamFilesets: run ended, final-closed lumis 1...lumicount, every streamer fed.
    @Test func theFilesetClosesOnlyWhenEndedCompleteAndFed() {
        var ledger = RunLedger(run: 5)
        for lumi in 1...3 {
            _ = ledger.record(Self.endOfLumi(lumi, "sm1", files: lumi == 2 ? 0 : 1))
            _ = ledger.record(Self.endOfLumi(lumi, "sm2", files: 0))
            if lumi != 2 { _ = ledger.record(Self.streamer(lumi, "sm1")) }
        }
        let all = Set(ledger.streamers.keys)
        #expect(!ledger.isFilesetClosable(stream: "A", fed: all), "the run has not ended")
        _ = ledger.record(Self.endOfRun("sm1", lumis: 3))
        _ = ledger.record(Self.endOfRun("sm2", lumis: 3))
        #expect(!ledger.isFilesetClosable(stream: "A", fed: Set(all.prefix(1))), "a streamer is not fed yet")
        #expect(ledger.isFilesetClosable(stream: "A", fed: all))
        var longer = ledger
        _ = longer.record(Self.endOfLumi(4, "sm1", files: 0))
        #expect(!longer.isFilesetClosable(stream: "A", fed: all), "a final-closed lumi 4 beyond the lumi count 3: MAX(lumi) ≠ lumicount")
        var holed = RunLedger(run: 5, configuredInstances: 1)
        _ = holed.record(Self.endOfLumi(2, "sm1", files: 0))
        _ = holed.record(Self.endOfRun("sm1", lumis: 2, instances: 1))
        #expect(!holed.isFilesetClosable(stream: "A", fed: []), "lumi 1 was never reported")
    }
}
