import Foundation
import Testing
import TestSupport

/// The test helpers' own behaviour: old test spools are swept, recent and running ones kept.
@Suite struct TestSupportTests {
    @Test func sweepRemovesOnlyOldSpoolsOfEndedRuns() throws {
        let folder = TestSupport.temporaryDirectory("sweep")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let old = Date(timeIntervalSinceNow: -7200)
        let ended = "wmspool-label-with-dashes-999999999-ABCDEF12", endedRecently = "wmspool-young-999999999-0000AAAA"
        let running = "wmspool-mine-\(getpid())-12345678", other = "something-else-999999999-ABCDEF12"
        for name in [ended, endedRecently, running, other] {
            try FileManager.default.createDirectory(atPath: folder + "/" + name + "/spool", withIntermediateDirectories: true)
            if name != endedRecently {
                try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: folder + "/" + name)
            }
        }
        #expect(TestSupport.sweepOldDirectories(in: folder) == 1)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder)) == [endedRecently, running, other])
    }
}
