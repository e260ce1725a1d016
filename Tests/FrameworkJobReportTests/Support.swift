import Foundation
import Testing
@testable import FrameworkJobReport

/// Loads test fixtures and makes per-test temporary directories.
enum Fixture {
    /// The URL of `Fixtures/<name>.xml`.
    static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: "xml", subdirectory: "Fixtures"))
    }

    /// The raw bytes of a fixture.
    static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    /// Parses a fixture with the default reader.
    static func report(_ name: String) throws -> FrameworkJobReport {
        try FrameworkJobReportReader().read(contentsOf: url(name))
    }

    /// A fresh temporary directory for one test.
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fjr-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}

/// Parses in-memory XML, returning the error it raised (or nil on success).
func readError(_ xml: String, sizeLimit: Int = FrameworkJobReportReader.defaultSizeLimit) -> ReportReadError? {
    do {
        _ = try FrameworkJobReportReader(sizeLimit: sizeLimit).read(data: Data(xml.utf8), source: "test.xml")
        return nil
    } catch {
        return error
    }
}
