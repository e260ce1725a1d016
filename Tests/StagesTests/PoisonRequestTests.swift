import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import Stages
@testable import WMCore

/// Issue 17, first step (numbers in requests): the exact poison requests of the issue are refused at
/// submission with exit 65 and a reason naming the field, what was found and what is allowed, so no later
/// stage can trap on them; the queue goes on staging the next request.
@Suite struct PoisonRequestTests {
    @Test(arguments: [
        ("FirstEvent=9223372036854775800", "FirstEvent"),
        ("Task1.RequestNumEvents=9223372036854775807", "RequestNumEvents"),
        ("FirstLumi=4294967296", "FirstLumi"),
        ("Task1.EventsPerJob=1000000000001", "EventsPerJob"),
    ])
    func oversizedNumbersAreRefusedAtSubmission(setting: String, field: String) throws {
        let f = try RequestFixture("poison")
        let (code, out) = f.wmctl(["request", "submit", f.example, "--assign", "--set", setting])
        #expect(code == 65, "\(setting): exit \(code): \(out.stdout)\(out.stderr)")
        #expect(out.stderr.contains(field) && out.stderr.contains("≤"), "\(setting): \(out.stderr)")
        #expect(try f.spool.scan("reqmgr/assigned").names.isEmpty)

        // A good request behind it is staged as usual.
        let (good, goodOut) = f.wmctl(["request", "submit", f.example, "--assign"])
        #expect(good == 0, "\(goodOut.stderr)")
        _ = try GlobalWorkQueueStage().runCycle(f.context)
        #expect(try f.spool.scan("reqmgr/staged").names.count == 1)
    }

    @Test func theLargestAllowedNumbersStageWithoutATrap() throws {
        let f = try RequestFixture("poison-edge")
        let (code, out) = f.wmctl(["request", "submit", f.example, "--assign", "--set", "FirstEvent=4294967295",
                                   "--set", "FirstLumi=4294967295"])
        #expect(code == 0, "\(out.stderr)")
        _ = try GlobalWorkQueueStage().runCycle(f.context)
        #expect(try f.spool.scan("reqmgr/staged").names.count == 1)
    }
}
