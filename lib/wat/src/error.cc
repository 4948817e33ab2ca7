#include <wat/error.h>

namespace wat {

const char* error_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::NoMemory: return "out of memory";
    case ErrorCode::UnexpectedCharacter: return "unexpected character";
    case ErrorCode::UnterminatedComment: return "unterminated block comment";
    case ErrorCode::UnterminatedString: return "unterminated string";
    case ErrorCode::BadEscape: return "malformed escape";
    case ErrorCode::BadUtf8: return "malformed UTF-8 encoding";
    case ErrorCode::NoSeparator: return "tokens not separated";
    case ErrorCode::UnexpectedToken: return "unexpected token";
    case ErrorCode::UnexpectedEnd: return "unexpected end of input";
    case ErrorCode::BadInteger: return "malformed or out-of-range integer";
    case ErrorCode::BadFloat: return "malformed float";
    case ErrorCode::UnknownInstruction: return "unknown instruction";
    case ErrorCode::UnknownField: return "unknown field or command";
    case ErrorCode::UnknownType: return "unknown type";
    case ErrorCode::UnknownName: return "unknown name";
    case ErrorCode::DuplicateName: return "duplicate name";
    case ErrorCode::MismatchingLabel: return "mismatching label";
    case ErrorCode::TypeMismatch: return "inline function type does not match";
    case ErrorCode::ImportAfterDefinition: return "import after definition";
    case ErrorCode::BadAlignment: return "alignment not a power of two";
    case ErrorCode::BadLane: return "malformed lane index";
    case ErrorCode::MultipleStart: return "multiple start fields";
    case ErrorCode::Unsupported: return "unsupported";
  }
  return "unknown error";
}

}  // namespace wat
