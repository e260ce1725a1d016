import Foundation
import Testing
import TestSupport
@testable import SpoolLayout
@testable import WMCore

/// A document area reads and writes through its body's codec; the job documents' fast codec makes the
/// bytes and documents the JSON codec makes.
@Suite struct DocumentCodecTests {
    @Test func jobCodecWritesAndReadsWhatTheJSONCodecDoes() throws {
        var random = SeededGenerator(seed: 1818)
        for n in 0..<300 {
            let doc = try RandomJob.document(n, using: &random)
            let fast = try JobDocumentCodec.encode(doc)
            let reference = try JSONDocumentCodec<JobBody>.encode(doc)
            #expect(fast == reference, "job \(n):\n fast      \(String(decoding: fast, as: UTF8.self))\n JSONEncoder \(String(decoding: reference, as: UTF8.self))")
            guard case .success(let read) = JobDocumentCodec.decode(fast, schema: jobSchemaVersion, file: "j.json"),
                  case .success(let readByJSON) = JSONDocumentCodec<JobBody>.decode(fast, schema: jobSchemaVersion, file: "j.json") else {
                Issue.record("job \(n) does not read back")
                continue
            }
            #expect(read.body == readByJSON.body && read.extra == readByJSON.extra)
        }
    }

    @Test func bodiesWithoutTheirOwnCodecUseTheJSONCodec() {
        #expect(RequestBody.Codec.self == JSONDocumentCodec<RequestBody>.self)
        #expect(ElementBody.Codec.self == JSONDocumentCodec<ElementBody>.self)
        #expect(BlockBody.Codec.self == JSONDocumentCodec<BlockBody>.self)
        #expect(JobBody.Codec.self == JobDocumentCodec.self)
    }

    @Test func theJSONCodecExplainsTheSchemaItFound() {
        let bytes = Array(#"{"schema": 99, "name": "x"}"#.utf8)
        guard case .failure(let problem) = JSONDocumentCodec<RequestBody>.decode(bytes, schema: requestSchemaVersion, file: "requests/new/x.json") else {
            Issue.record("a wrong schema was read")
            return
        }
        #expect(problem.description == "requests/new/x.json: field 'schema' is 99, expected \(requestSchemaVersion)")
    }
}
