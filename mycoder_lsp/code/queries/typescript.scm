; TypeScript symbols, read by mycoder_lsp.code.symbols (the chunks of the vault come from them too):
; the shapes of JavaScript plus namespaces and the type-level declarations. (The TSX grammar reads
; this file too: its node types are TypeScript's plus JSX.) @definition.<kind> is the definition's node, @name its name. @scope with @name
; is a node that qualifies the definitions inside it (`api.get`) without being a symbol itself: an
; object literal. When several patterns match one node, the first one here wins.

(function_declaration name: (_) @name) @definition.function
(generator_function_declaration name: (_) @name) @definition.function
(class_declaration name: (_) @name) @definition.class
(abstract_class_declaration name: (_) @name) @definition.class
(class_body (method_definition name: (_) @name) @definition.method)
(abstract_method_signature name: (_) @name) @definition.method
(interface_declaration name: (_) @name) @definition.interface
(enum_declaration name: (_) @name) @definition.enum
(type_alias_declaration name: (_) @name) @definition.type

; namespace Shapes { ... } / module Shapes { ... } (not `declare module "name"`)
(internal_module name: [(identifier) (nested_identifier)] @name) @definition.module
(module name: [(identifier) (nested_identifier)] @name) @definition.module

; const handler = (req) => {...}: a function by any other name
(variable_declarator
  name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function

; export default class / function without a name: the export's name is `default`
(export_statement "default" @name value: (class) @definition.class)
(export_statement "default" @name
  value: [(function_expression) (arrow_function) (generator_function)] @definition.function)

; class fields holding a function: handle = () => {...}
(public_field_definition
  name: (property_identifier) @name
  value: [(arrow_function) (function_expression)]) @definition.method

; object literals with a name (a variable, a property, the default export, an assignment):
; { run() {}, stop: function () {}, done: () => {} }. One in any other place (an argument,
; `void {...}`) is no definition.
(variable_declarator value: (object (method_definition name: (_) @name) @definition.method))
(pair value: (object (method_definition name: (_) @name) @definition.method))
(export_statement value: (object (method_definition name: (_) @name) @definition.method))
(assignment_expression right: (object (method_definition name: (_) @name) @definition.method))
(variable_declarator value: (object (pair
  key: (property_identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.method))
(pair value: (object (pair
  key: (property_identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.method))
(export_statement value: (object (pair
  key: (property_identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.method))
(assignment_expression right: (object (pair
  key: (property_identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.method))
(variable_declarator name: (identifier) @name value: (object)) @scope
(pair key: (property_identifier) @name value: (object)) @scope

; exports.helper = function () {}; Foo.prototype.bar = () => {}
(assignment_expression
  left: (member_expression property: (property_identifier) @name)
  right: [(arrow_function) (function_expression)]) @definition.function
