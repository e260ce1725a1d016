import Foundation
import Testing
import TestSupport
@testable import JobSplitting

/// The fast file-document reader agrees with JSONDecoder, and steps aside for anything unusual.
@Suite struct SplitFileParserTests {
    @Test func agreesWithJSONDecoderOnRandomFiles() throws {
        var random = SeededGenerator(seed: 77)
        let encoders: [JSONEncoder] = [JSONEncoder(), JSONEncoder(), JSONEncoder()]
        encoders[1].outputFormatting = [.sortedKeys]
        encoders[2].outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        for n in 0..<300 {
            let runs = (0..<Int.random(in: 0...3, using: &random)).map { _ in
                FileRun(run: Int.random(in: 1...400_000, using: &random), lumis: (0..<Int.random(in: 0...5, using: &random)).map { _ in Int.random(in: 0...5000, using: &random) })
            }
            let file = SplitFile(lfn: "/store/é/\(n)\\\"q\".root", size: Int.random(in: 0...Int(Int32.max), using: &random) * (n % 2 == 0 ? 1 : 1000),
                                 events: Int.random(in: 0...100_000, using: &random), firstEvent: n % 3, lastEvent: -n,
                                 locations: n % 4 == 0 ? [] : ["T2_CH_CERN", "T1_US_FNAL_Disk"].shuffled(using: &random),
                                 runs: runs, insertTime: n % 5 == 0 ? 0 : Double(n) * 1.25,
                                 parents: n % 7 == 0 ? ["/store/parent/\(n)"] : [], merged: n % 2 == 0)
            for encoder in encoders {
                let bytes = Array(try encoder.encode(file))
                let expected = try JSONDecoder().decode(SplitFile.self, from: Data(bytes))
                #expect(SplitFileParser.parse(bytes) == expected, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }

    @Test func returnsNilForWhatItDoesNotHandle() {
        for text in [
            #"{"lfn": "/a", "colour": 1}"#,                  // unknown key
            #"{"lfn": "/a", "lfn": "/b"}"#,                   // repeated key (JSONDecoder keeps the first)
            #"{"lfn": "/a", "size": null}"#,                  // null (JSONDecoder reads the default)
            #"{"lfn": "/a", "insert_time": +1}"#,             // not a JSON number
            #"{"lfn": "/a", "size": 1.5}"#,                   // fractional integer
            #"{"lfn": "/a"} x"#,                              // trailing text
            #"{"size": 1}"#,                                   // no lfn
            #"{"lfn": "/a", "runs": [[1, [2, "3"]]]}"#,        // wrong type
            #"{"lfn": "/a", "size": 99999999999999999999}"#,  // out of range
            #"{"lfn": "/a""#,                                  // truncated
        ] {
            #expect(SplitFileParser.parse(Array(text.utf8)) == nil, "\(text)")
        }
        #expect(SplitFileParser.parse(Array(#"{"lfn": "/a\n\u00e9\ud83d\ude00", "size": 1.0e3}"#.utf8))
                == SplitFile(lfn: "/a\né😀", size: 1000), "escapes and JSONDecoder's integer rules")
        #expect(SplitFileParser.parse(Array(#" { "runs" : [ [ 1 , [ 2 , 3 ] ] ] , "lfn" : "\/x" } "#.utf8))
                == SplitFile(lfn: "/x", runs: [FileRun(run: 1, lumis: [2, 3])]))
    }
}
