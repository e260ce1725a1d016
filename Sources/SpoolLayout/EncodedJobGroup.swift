import Foundation
import WMCore

/// A job group ready to be written: the `JobGroupRecord` fields with every job already encoded once.
///
/// The record on disk (`jobgroups/pending/<name>.json`) embeds the same job bytes that are then
/// published under `jobs/<state>/`, so each document is encoded once per cycle. The record's text
/// decodes as a `JobGroupRecord` (keys sorted, as JSONEncoder writes them).
package struct EncodedJobGroup {
    /// One encoded job.
    package struct Job {
        /// The job's name (its file is `<name>.json`).
        package var name: String
        /// The state folder it is published in.
        package var state: JobState
        /// The document, ending in a newline.
        package var bytes: [UInt8]
        /// The keys of its input files, in its order (worked out for a replayed group only).
        package var inputKeys: [String]

        /// Encodes a job document (fast writer; JSONEncoder for documents with operator keys).
        package init(_ doc: JobDocument, writer: inout JobDocumentWriter, area: DocumentArea<JobBody>, withKeys: Bool = false) throws {
            name = doc.name
            state = doc.state
            bytes = try writer.write(doc) ?? area.encode(doc)
            inputKeys = withKeys ? doc.inputFiles.map { FileKey.of($0.lfn) } : []
        }
    }

    /// The group's name.
    package var name: String
    /// The subscription.
    package var subscription: String
    /// Keys of the files moved to `acquired/` (each into the document of the first job that reads it).
    package var fileKeys: [String]
    /// Keys of the files moved to `failed/`.
    package var failedFileKeys: [String]
    /// The jobs, encoded.
    package var jobs: [Job]

    /// A group of jobs already encoded.
    package init(name: String, subscription: String, fileKeys: [String], failedFileKeys: [String], jobs: [Job]) {
        self.name = name
        self.subscription = subscription
        self.fileKeys = fileKeys
        self.failedFileKeys = failedFileKeys
        self.jobs = jobs
    }

    /// Encodes `documents` (fast writer, JSONEncoder for documents with operator keys).
    package init(name: String, subscription: String, fileKeys: [String], failedFileKeys: [String], jobs documents: [JobDocument],
         area: DocumentArea<JobBody>) throws {
        var writer = JobDocumentWriter()
        let jobs = try documents.map { try Job($0, writer: &writer, area: area, withKeys: true) }
        self.init(name: name, subscription: subscription, fileKeys: fileKeys, failedFileKeys: failedFileKeys, jobs: jobs)
    }

    /// The record's JSON text (sorted keys, final newline).
    package func recordBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(jobs.reduce(256) { $0 + $1.bytes.count } + 20 * (fileKeys.count + failedFileKeys.count))
        func strings(_ list: [String]) {
            out.append(UInt8(ascii: "["))
            for (i, s) in list.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JobDocumentWriter.string(s, &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: "{\"failedFileKeys\":".utf8)
        strings(failedFileKeys)
        out.append(contentsOf: ",\"fileKeys\":".utf8)
        strings(fileKeys)
        out.append(contentsOf: ",\"jobs\":[".utf8)
        for (i, job) in jobs.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: job.bytes.last == UInt8(ascii: "\n") ? job.bytes.dropLast() : job.bytes[...])
        }
        out.append(contentsOf: "],\"name\":".utf8)
        JobDocumentWriter.string(name, &out)
        out.append(contentsOf: ",\"schema\":\(wmbsSchemaVersion),\"subscription\":".utf8)
        JobDocumentWriter.string(subscription, &out)
        out.append(contentsOf: "}\n".utf8)
        return out
    }
}
