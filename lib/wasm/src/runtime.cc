// Store, instances and instantiation.
#include <support/new.h>
#include <wasm/runtime.h>

namespace wasm {

namespace {

template <typename T> void delete_all(Vector<T*>& v) {
  for (T* p : v) delete p;
  v.clear();
}

// The value of a constant expression's instruction that pushes one (not an arithmetic one).
u64 const_value(const ConstExpr& e, const Instance& inst) {
  switch (e.op) {
    case ConstExpr::Op::RefNull: return 0;
    case ConstExpr::Op::RefFunc:
      return reinterpret_cast<u64>(inst.funcs[static_cast<u32>(e.value)]);
    case ConstExpr::Op::GlobalGet: return inst.globals[static_cast<u32>(e.value)]->value;
    default: return e.value;  // the constant's bits
  }
}

// The high half of a v128 constant expression (a v128.const or a global.get: the arithmetic of
// extended constants is on i32 and i64 only); 0 for the other types.
u64 const_hi(const ConstExpr& e, const Instance& inst) {
  if (e.op == ConstExpr::Op::V128) return e.hi;
  if (e.op == ConstExpr::Op::GlobalGet) return inst.globals[static_cast<u32>(e.value)]->hi;
  return 0;
}

// The value of constant expression `e`; `stack` has room for Module::const_depth values (the
// validator typed every instruction, so the arithmetic finds its two operands). i32 values are
// kept zero-extended, as in a slot; the arithmetic wraps.
u64 eval_const(const ConstExpr& e, const Instance& inst, u64* stack) {
  if (e.op != ConstExpr::Op::Extended) return const_value(e, inst);
  const ConstExpr* code = inst.module->const_code.data() + e.value;
  u32 n = 0;
  for (u32 i = 0; i < e.length; ++i) {
    const ConstExpr& c = code[i];
    if (c.op < ConstExpr::Op::I32Add || c.op > ConstExpr::Op::I64Mul) {
      stack[n++] = const_value(c, inst);
      continue;
    }
    u64 b = stack[--n];
    u64& a = stack[n - 1];
    auto a32 = static_cast<u32>(a), b32 = static_cast<u32>(b);
    switch (c.op) {
      case ConstExpr::Op::I32Add: a = static_cast<u32>(a32 + b32); break;
      case ConstExpr::Op::I32Sub: a = static_cast<u32>(a32 - b32); break;
      case ConstExpr::Op::I32Mul: a = static_cast<u32>(a32 * b32); break;
      case ConstExpr::Op::I64Add: a += b; break;
      case ConstExpr::Op::I64Sub: a -= b; break;
      default: a *= b; break;  // I64Mul
    }
  }
  return stack[0];
}

// The bytes a store charges for one more record kept through a pointer in one of its vectors
// (the record, and the pointer slot with the vector's doubling).
template <typename T> constexpr u64 record_cost() { return allocation_cost(sizeof(T)) + 16; }

// What instantiate() allocates besides tables and memories: the instance, its vectors, a
// function instance per defined function, a global per defined global, the element segments.
u64 instance_cost(const Module& m) {
  u64 cost = record_cost<Instance>();
  cost += allocation_cost(m.types.size() * sizeof(u32));
  cost += allocation_cost(m.func_types.size() * sizeof(FuncInst*));
  cost += m.functions.size() * record_cost<FuncInst>();
  cost += allocation_cost(m.tables.size() * sizeof(Table*));
  cost += allocation_cost(m.memories.size() * sizeof(Memory*));
  cost += allocation_cost(m.globals.size() * sizeof(Global*));
  cost += allocation_cost(m.elems.size() * sizeof(Vector<u64>));
  for (const ElemSegment& s : m.elems) cost += allocation_cost(s.items.size() * sizeof(u64));
  cost += allocation_cost(m.datas.size());
  return cost;
}

bool limits_match(u64 actual_min, bool actual_has_max, u64 actual_max, const Limits& want) {
  if (actual_min < want.min) return false;
  if (want.has_max) {
    if (!actual_has_max) return false;
    if (actual_max > want.max) return false;
  }
  return true;
}

}  // namespace

Store::~Store() {
  for (Memory* m : memories_) {
    if (m->base != nullptr) provider_.release(m->base, m->reserved_pages * 65536);
  }
  delete_all(instances_);
  delete_all(funcs_);
  delete_all(memories_);
  delete_all(tables_);
  delete_all(globals_);
  delete_all(types_);
  // Executions (which uncharge their stacks) are gone before their store.
  if (config_.account != nullptr && charged_ != 0) config_.account->uncharge(charged_);
}

bool Store::charge(u64 bytes) {
  if (bytes == 0) return true;
  if (bytes > config_.max_bytes || charged_ > config_.max_bytes - bytes) return false;
  if (config_.account != nullptr && !config_.account->charge(bytes)) return false;
  __atomic_store_n(&charged_, charged_ + bytes, __ATOMIC_RELAXED);
  return true;
}

void Store::uncharge(u64 bytes) {
  if (bytes == 0) return;
  __atomic_store_n(&charged_, charged_ - bytes, __ATOMIC_RELAXED);
  if (config_.account != nullptr) config_.account->uncharge(bytes);
}

Result<u32> Store::intern_type(const FuncType& type) {
  for (u32 i = 0; i < types_.size(); ++i)
    if (*types_[i] == type) return i;
  if (!charge(record_cost<FuncType>() + allocation_cost(type.types.size())))
    return support::Error::OutOfRange;
  FuncType* copy = new (std::nothrow) FuncType();
  if (copy == nullptr) return support::Error::NoMemory;
  if (copy->types.try_reserve(type.types.size()).is_error()) {
    delete copy;
    return support::Error::NoMemory;
  }
  for (ValType t : type.types) MUST(copy->types.try_push(t));
  copy->param_count = type.param_count;
  copy->result_count = type.result_count;
  if (types_.try_push(copy).is_error()) {
    delete copy;
    return support::Error::NoMemory;
  }
  return static_cast<u32>(types_.size() - 1);
}

Result<FuncInst*> Store::create_host_function(const FuncType& type, HostFunction fn, void* env) {
  u32 id = TRY(intern_type(type));
  if (!charge(record_cost<FuncInst>())) return support::Error::OutOfRange;
  FuncInst* f = new (std::nothrow) FuncInst();
  if (f == nullptr) return support::Error::NoMemory;
  f->type_id = id;
  f->type = types_[id];
  f->host = fn;
  f->host_env = env;
  if (funcs_.try_push(f).is_error()) {
    delete f;
    return support::Error::NoMemory;
  }
  return f;
}

Result<Memory*> Store::create_memory(MemoryType type) {
  // The type's maximum (validated: at most 2^16 pages, or 2^48 with i64 addresses), but never
  // more than the embedder's limit: a minimum above that fails here, before anything is reserved
  // or charged (so 2^48 pages are a refusal, never an allocation attempt).
  u64 max = type.limits.has_max ? type.limits.max
                                : (type.address64 ? kMaxMemory64Pages : kMaxMemoryPages);
  u64 reserve = max < config_.max_memory_pages ? max : config_.max_memory_pages;
  if (type.limits.min > reserve) return support::Error::OutOfRange;
  if (!charge(record_cost<Memory>() + type.limits.min * 65536)) return support::Error::OutOfRange;
  Memory* m = new (std::nothrow) Memory();
  if (m == nullptr) return support::Error::NoMemory;
  m->type = type;
  m->max_pages = max;
  m->reserved_pages = reserve;
  m->size = type.limits.min * 65536;
  m->base = provider_.reserve(m->size, reserve * 65536);
  if (m->base == nullptr && reserve != 0) {
    delete m;
    return support::Error::NoMemory;
  }
  if (memories_.try_push(m).is_error()) {
    provider_.release(m->base, reserve * 65536);
    delete m;
    return support::Error::NoMemory;
  }
  return m;
}

Result<Table*> Store::create_table(TableType type, u64 init) {
  if (type.limits.min > kMaxTableSize) return support::Error::OutOfRange;
  u64 elems = allocation_cost(type.limits.min * sizeof(u64));
  if (!charge(record_cost<Table>() + elems)) return support::Error::OutOfRange;
  Table* t = new (std::nothrow) Table();
  if (t == nullptr) return support::Error::NoMemory;
  t->type = type;
  t->max = type.limits.has_max ? type.limits.max : (type.address64 ? ~u64{0} : 0xffffffffu);
  t->charged = elems;
  if (t->elems.try_reserve(type.limits.min).is_error() || tables_.try_push(t).is_error()) {
    delete t;
    return support::Error::NoMemory;
  }
  MUST(t->elems.try_resize(type.limits.min));
  for (u64& e : t->elems) e = init;
  return t;
}

Result<Global*> Store::create_global(GlobalType type, u64 value, u64 hi) {
  if (!charge(record_cost<Global>())) return support::Error::OutOfRange;
  Global* g = new (std::nothrow) Global();
  if (g == nullptr) return support::Error::NoMemory;
  g->type = type;
  g->value = value;
  g->hi = hi;
  if (globals_.try_push(g).is_error()) {
    delete g;
    return support::Error::NoMemory;
  }
  return g;
}

i64 Store::grow_memory(Memory* m, u64 delta) {
  u64 old_pages = m->size / 65536;
  if (delta == 0) return static_cast<i64>(old_pages);
  // An i64 delta can be anything: compare before adding (reserved_pages <= max_memory_pages,
  // so the charge below cannot overflow either).
  if (delta > m->max_pages - old_pages || delta > m->reserved_pages - old_pages) return -1;
  u64 pages = old_pages + delta;
  if (!charge(delta * 65536)) return -1;
  if (!provider_.commit(m->base, m->size, pages * 65536)) {
    uncharge(delta * 65536);
    return -1;
  }
  m->size = pages * 65536;
  if (m->type.limits.min < pages) m->type.limits.min = pages;
  return static_cast<i64>(old_pages);
}

i64 Store::grow_table(Table* t, u64 delta, u64 init) {
  u64 old = t->elems.size();
  // An i64 delta can be anything: compare before adding (old <= kMaxTableSize).
  if (delta > kMaxTableSize - old) return -1;
  u64 size = old + delta;
  if (size > t->max) return -1;
  if (size > t->elems.capacity()) {
    // Doubling keeps a loop of small grows linear; at the limit, exactly what is asked.
    u64 limit = t->max < kMaxTableSize ? t->max : kMaxTableSize;
    u64 capacity = t->elems.capacity() * 2;
    if (capacity > limit) capacity = limit;
    if (capacity < size) capacity = size;
    u64 cost = allocation_cost(capacity * sizeof(u64));
    if (!charge(cost - t->charged)) {
      // Near the limit: all the room the store has left (so that a loop of small grows still
      // copies the table rarely), else exactly what is asked.
      u64 room = config_.max_bytes - charged_ + t->charged;
      capacity = room > 16 ? (room - 16) / sizeof(u64) : 0;
      if (capacity > limit) capacity = limit;
      if (capacity < size || !charge(allocation_cost(capacity * sizeof(u64)) - t->charged)) {
        capacity = size;
        if (!charge(allocation_cost(capacity * sizeof(u64)) - t->charged)) return -1;
      }
      cost = allocation_cost(capacity * sizeof(u64));
    }
    if (t->elems.try_reserve(capacity).is_error()) {
      uncharge(cost - t->charged);
      return -1;
    }
    t->charged = cost;
  }
  MUST(t->elems.try_resize(size));
  for (u64 i = old; i < size; ++i) t->elems[i] = init;
  return static_cast<i64>(old);
}

Result<Instance*, InstantiateError> Store::instantiate(const Module& module,
                                                       Span<const Extern> imports) {
  using K = InstantiateError::Kind;
  auto nomem = InstantiateError{K::NoMemory, TrapKind::None, "out of memory"};
  if (imports.size() != module.imports.size())
    return InstantiateError{K::Unlinkable, TrapKind::None, "wrong number of imports"};
  if (!charge(instance_cost(module)))
    return InstantiateError{K::Limit, TrapKind::None, "instance over the memory limit"};
  Instance* inst = new (std::nothrow) Instance();
  if (inst == nullptr) return nomem;
  if (instances_.try_push(inst).is_error()) {
    delete inst;
    return nomem;
  }
  inst->module = &module;
  // Canonical type ids.
  for (const FuncType& t : module.types) {
    auto id = intern_type(t);
    if (id.is_error() && id.error() == support::Error::OutOfRange)
      return InstantiateError{K::Limit, TrapKind::None, "types over the memory limit"};
    if (id.is_error() || inst->type_ids.try_push(id.value()).is_error()) return nomem;
  }
  // Imports.
  for (u32 i = 0; i < imports.size(); ++i) {
    const Import& im = module.imports[i];
    const Extern& ex = imports[i];
    if (ex.kind != im.kind || ex.ptr == nullptr)
      return InstantiateError{K::Unlinkable, TrapKind::None, "incompatible import type"};
    switch (im.kind) {
      case ExternKind::Func: {
        FuncInst* f = static_cast<FuncInst*>(ex.ptr);
        if (f->type_id != inst->type_ids[im.func_type])
          return InstantiateError{K::Unlinkable, TrapKind::None, "incompatible import type"};
        if (inst->funcs.try_push(f).is_error()) return nomem;
        break;
      }
      case ExternKind::Table: {
        Table* t = static_cast<Table*>(ex.ptr);
        if (t->type.elem != im.table.elem || t->type.address64 != im.table.address64 ||
            !limits_match(t->elems.size(), t->type.limits.has_max, t->max, im.table.limits))
          return InstantiateError{K::Unlinkable, TrapKind::None, "incompatible import type"};
        if (inst->tables.try_push(t).is_error()) return nomem;
        break;
      }
      case ExternKind::Memory: {
        Memory* m = static_cast<Memory*>(ex.ptr);
        if (m->type.address64 != im.memory.address64 ||
            !limits_match(m->size / 65536, m->type.limits.has_max, m->type.limits.max,
                          im.memory.limits))
          return InstantiateError{K::Unlinkable, TrapKind::None, "incompatible import type"};
        if (inst->memories.try_push(m).is_error()) return nomem;
        break;
      }
      case ExternKind::Global: {
        Global* g = static_cast<Global*>(ex.ptr);
        if (g->type.type != im.global.type || g->type.mutable_ != im.global.mutable_)
          return InstantiateError{K::Unlinkable, TrapKind::None, "incompatible import type"};
        if (inst->globals.try_push(g).is_error()) return nomem;
        break;
      }
    }
  }
  // Defined functions.
  for (u32 i = 0; i < module.functions.size(); ++i) {
    FuncInst* f = new (std::nothrow) FuncInst();
    if (f == nullptr) return nomem;
    if (funcs_.try_push(f).is_error()) {
      delete f;
      return nomem;
    }
    const Function& fn = module.functions[i];
    f->type_id = inst->type_ids[fn.type_index];
    f->type = types_[f->type_id];
    f->instance = inst;
    f->code = &fn;
    f->index = module.imported_funcs + i;
    if (inst->funcs.try_push(f).is_error()) return nomem;
  }
  // Tables, memories, globals.
  for (u32 i = module.imported_tables; i < module.tables.size(); ++i) {
    auto t = create_table(module.tables[i], 0);
    if (t.is_error() && t.error() == support::Error::OutOfRange)
      return InstantiateError{K::Limit, TrapKind::None, "table over the limit"};
    if (t.is_error()) return nomem;
    if (inst->tables.try_push(t.value()).is_error()) return nomem;
  }
  for (u32 i = module.imported_memories; i < module.memories.size(); ++i) {
    auto m = create_memory(module.memories[i]);
    if (m.is_error() && m.error() == support::Error::OutOfRange)
      return InstantiateError{K::Limit, TrapKind::None, "linear memory over the limit"};
    if (m.is_error()) return nomem;
    if (inst->memories.try_push(m.value()).is_error()) return nomem;
  }
  inst->memory = inst->memories.size() ? inst->memories[0] : nullptr;
  // The operand stack of extended constant expressions (their depth is bounded by the module's
  // size, which its compilation counted).
  Vector<u64> const_stack;
  if (const_stack.try_resize(module.const_depth).is_error()) return nomem;
  for (u32 i = module.imported_globals; i < module.globals.size(); ++i) {
    u64 v = eval_const(module.globals[i].init, *inst, const_stack.data());
    auto g = create_global(module.globals[i].type, v, const_hi(module.globals[i].init, *inst));
    if (g.is_error() && g.error() == support::Error::OutOfRange)
      return InstantiateError{K::Limit, TrapKind::None, "globals over the memory limit"};
    if (g.is_error()) return nomem;
    if (inst->globals.try_push(g.value()).is_error()) return nomem;
  }
  // Segments, evaluated.
  if (inst->elems.try_resize(module.elems.size()).is_error()) return nomem;
  for (u32 i = 0; i < module.elems.size(); ++i) {
    const ElemSegment& s = module.elems[i];
    if (inst->elems[i].try_resize(s.items.size()).is_error()) return nomem;
    for (u32 k = 0; k < s.items.size(); ++k)
      inst->elems[i][k] = eval_const(s.items[k], *inst, const_stack.data());
  }
  if (inst->data_dropped.try_resize(module.datas.size()).is_error()) return nomem;
  // Active element segments (table.init then elem.drop), in order.
  for (u32 i = 0; i < module.elems.size(); ++i) {
    const ElemSegment& s = module.elems[i];
    if (s.mode == SegmentMode::Active) {
      u64 off = eval_const(s.offset, *inst, const_stack.data());
      Table* t = inst->tables[s.table];
      if (!t->type.address64) off = static_cast<u32>(off);
      u64 n = inst->elems[i].size();
      if (off > t->elems.size() || n > t->elems.size() - off)
        return InstantiateError{K::Trap, TrapKind::TableOutOfBounds, "out of bounds table access"};
      for (u64 k = 0; k < n; ++k) t->elems[off + k] = inst->elems[i][k];
    }
    if (s.mode != SegmentMode::Passive) inst->elems[i].clear();
  }
  // Active data segments (memory.init then data.drop), in order.
  for (u32 i = 0; i < module.datas.size(); ++i) {
    const DataSegment& s = module.datas[i];
    if (s.mode != SegmentMode::Active) continue;
    u64 off = eval_const(s.offset, *inst, const_stack.data());
    Memory* m = inst->memories[s.memory];
    if (!m->type.address64) off = static_cast<u32>(off);
    if (off > m->size || s.size > m->size - off)
      return InstantiateError{K::Trap, TrapKind::MemoryOutOfBounds, "out of bounds memory access"};
    if (s.size) __builtin_memcpy(m->base + off, module.bytes.data() + s.bytes_offset, s.size);
    inst->data_dropped[i] = 1;
  }
  return inst;
}

FuncInst* Store::start_function(Instance* instance) const {
  if (!instance->module->has_start) return nullptr;
  return instance->funcs[instance->module->start];
}

Extern Instance::find_export(support::StringView name) const {
  for (const Export& e : module->exports) {
    if (module->name_of(e.name) == name) {
      switch (e.kind) {
        case ExternKind::Func: return Extern::func(funcs[e.index]);
        case ExternKind::Table: return Extern::table(tables[e.index]);
        case ExternKind::Memory: return Extern::memory(memories[e.index]);
        case ExternKind::Global: return Extern::global(globals[e.index]);
      }
    }
  }
  return {};
}

}  // namespace wasm
