import Foundation
import Commands
import Operator

let output = Wmctl.Output()
let code = Wmctl.run(Array(CommandLine.arguments.dropFirst()), output: output)
FileHandle.standardOutput.write(Data(output.stdout.utf8))
FileHandle.standardError.write(Data(output.stderr.utf8))
exit(code)
