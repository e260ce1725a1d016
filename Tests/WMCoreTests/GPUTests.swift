import Foundation
import Testing
@testable import WMCore

/// Issue 19 item 3: RequiresGPU, GPUParams and JobExtraMatchRequirements validated as WMCore's StdBase and Lexicon do,
/// and carried to the tasks and subscriptions.
@Suite struct GPUTests {
    static let params = #"{"CUDACapabilities": ["7.5", "8.0"], "CUDARuntime": "12.0", "GPUMemoryMB": 8000}"#

    @Test(arguments: ["TC_GPU", "SC_GPU"])
    func gpuTemplatesGiveEveryProcessingTaskARequiredGPU(name: String) throws {
        let run = try Support.run(name)
        let processing = run.workload.tasks.filter { $0.type == .production || $0.type == .processing }
        #expect(!processing.isEmpty)
        for task in processing {
            #expect(task.gpu?.requiresGPU == .required, "\(task.name)")
            #expect(task.gpu?.gpuRequirements?["GPUMemoryMB"] == .int(8000), "\(task.name)")
            #expect(task.gpu?.gpuRequirements?["CUDARuntime"] == .string("12.0"))
        }
        #expect(run.workload.tasks.filter { $0.type == .merge || $0.type == .logCollect }.allSatisfy { $0.gpu == nil },
                "merge and log-collect tasks never ask for a GPU")
        if name == "TC_GPU" {
            let extra = processing.compactMap(\.jobExtraMatchRequirements)
            #expect(extra.contains(#"regexp("GenSimFull", WMAgent_SubTaskName)"#), "\(extra)")
        } else {
            #expect(processing.allSatisfy { $0.jobExtraMatchRequirements == #"regexp("^NVIDIA L40S$", GPUs_DeviceName)"# })
        }
    }

    @Test func gpuParametersAreCheckedAsLexiconChecksThem() {
        #expect((try? GPUParameters.decode("null").get()) == .some(nil))
        #expect((try? GPUParameters.decode(Self.params).get())??["GPUMemoryMB"] == .int(8000))
        let bad = [
            "{": "a JSON-encoded string",
            "[1]": "null or a JSON object",
            #"{"CUDACapabilities": ["7.5"], "CUDARuntime": "12.0"}"#: "missing GPUMemoryMB",
            #"{"CUDACapabilities": ["7.5"], "CUDARuntime": "12.0", "GPUMemoryMB": 8000, "Color": "red"}"#: "unsupported Color",
            #"{"CUDACapabilities": ["7.5"], "CUDARuntime": "12.0", "GPUMemoryMB": 0}"#: "GPUMemoryMB an integer",
            #"{"CUDACapabilities": [], "CUDARuntime": "12.0", "GPUMemoryMB": 1}"#: "CUDACapabilities a non-empty list",
            #"{"CUDACapabilities": ["seven"], "CUDARuntime": "12.0", "GPUMemoryMB": 1}"#: "CUDACapabilities a non-empty list",
            #"{"CUDACapabilities": ["7.5"], "CUDARuntime": "12", "GPUMemoryMB": 1}"#: "CUDARuntime a version",
            #"{"CUDACapabilities": ["7.5"], "CUDARuntime": "12.0", "GPUMemoryMB": 1, "GPUName": 3}"#: "GPUName a string",
        ]
        for (text, expected) in bad {
            guard case .failure(let problem) = GPUParameters.decode(text) else { Issue.record("\(text) accepted"); continue }
            #expect(problem.expected.contains(expected), "\(text): \(problem.expected)")
        }
    }

    @Test func requiredGPUWithoutParametersIsRefusedAndBadValuesAreNamed() throws {
        var input = try Support.template("SC_GPU")
        input.applyOverrides(Support.overrides)
        var step1 = try #require(input.create["Step1"]?.objectValue)
        step1["GPUParams"] = .string("null")
        input.create["Step1"] = .object(step1)
        input.create["JobExtraMatchRequirements"] = .string(String(repeating: "x", count: 10_000))
        input.create["RequiresGPU"] = .string("sometimes")
        let error = #expect(throws: RequestRejected.self) { try Support.validator.validate(input) }
        let fields = try #require(error).problems.map(\.field)
        #expect(fields.contains("createRequest.Step1.GPUParams"), "\(fields)")
        #expect(fields.contains("createRequest.JobExtraMatchRequirements"), "\(fields)")
        #expect(fields.contains("createRequest.RequiresGPU"), "\(fields)")
    }

    @Test func stepChainTakesTheStrongestNeedOfItsSteps() {
        let steps = [GPUSettings(requiresGPU: .optional), GPUSettings(requiresGPU: .required, gpuRequirements: ["GPUMemoryMB": .int(1)]),
                     GPUSettings()]
        #expect(GPUSettings.combined(steps) == GPUSettings(requiresGPU: .required, gpuRequirements: ["GPUMemoryMB": .int(1)]))
        #expect(GPUSettings.combined([GPUSettings(), GPUSettings(requiresGPU: .optional)]).requiresGPU == .optional)
    }
}
