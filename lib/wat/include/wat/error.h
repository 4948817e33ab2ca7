// Errors of the text-format reader: a code and the line:column (1-based) where it was found.
// Codes, not strings: error_name() gives the text a user-facing layer prints.
#pragma once

#include <support/types.h>

namespace wat {

enum class ErrorCode : u8 {
  NoMemory = 1,           // an allocation failed
  UnexpectedCharacter,    // a character that starts no token
  UnterminatedComment,    // a block comment without its ";)"
  UnterminatedString,     // a string without its closing quote
  BadEscape,              // an unknown or malformed escape in a string
  BadUtf8,                // a string or name that is not valid UTF-8
  NoSeparator,            // two tokens not separated by space or parentheses
  UnexpectedToken,        // the grammar expects something else here
  UnexpectedEnd,          // the input ends inside a construct
  BadInteger,             // not an integer literal, or out of range for its type
  BadFloat,               // not a float literal, or NaN payload out of range
  UnknownInstruction,     // a keyword that names no instruction
  UnknownField,           // a module field or script command that does not exist
  UnknownType,            // not a value, reference or heap type
  UnknownName,            // a $name that is not bound in its index space
  DuplicateName,          // a $name bound twice in one index space
  MismatchingLabel,       // `end $l` / `else $l` names another label than its block
  TypeMismatch,           // an inline type use differs from the (type x) it names
  ImportAfterDefinition,  // an import after a function, table, memory or global definition
  BadAlignment,           // align= not a power of two
  BadLane,                // a lane index that is not a small integer literal
  MultipleStart,          // a second start field
  Unsupported,            // valid text this reader does not implement (a 3.0 form)
};

// A stable, short, lower-case description ("unknown name" ...).
const char* error_name(ErrorCode code);

struct Location {
  u32 line = 1;
  u32 column = 1;
};

struct ParseError {
  ErrorCode code = ErrorCode::UnexpectedToken;
  Location location;
};

}  // namespace wat
