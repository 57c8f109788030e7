// UvHandle<H>: owns one heap-allocated libuv handle (uv_tcp_t, uv_timer_t …). The memory is freed
// only in the handle's uv_close callback, never before. handle()->data belongs to the owner of the
// UvHandle (its callbacks' context); the destructor nulls it, so late callbacks see nullptr.
#pragma once

#include <uv.h>

#include <functional>
#include <utility>

namespace mb::net {

template <typename H>
class UvHandle {
  public:
    UvHandle() = default;
    UvHandle(const UvHandle&) = delete;
    UvHandle& operator=(const UvHandle&) = delete;
    UvHandle(UvHandle&& other) noexcept
        : block_(std::exchange(other.block_, nullptr)), on_closed_(std::move(other.on_closed_)) {
        if (block_) block_->wrapper = this;
    }
    UvHandle& operator=(UvHandle&& other) noexcept {
        if (this != &other) {
            release();
            block_ = std::exchange(other.block_, nullptr);
            on_closed_ = std::move(other.on_closed_);
            if (block_) block_->wrapper = this;
        }
        return *this;
    }
    // Destroying an open handle closes it without notifying anyone.
    ~UvHandle() { release(); }

    // Allocates the handle and runs init(H*) (e.g. uv_timer_init). Returns the libuv error code;
    // on failure nothing is kept. Replaces (closes) any handle held before.
    template <typename Init>
    int open(Init&& init) {
        release();
        auto* block = new Block;
        block->wrapper = this;
        int rc = init(&block->handle);
        if (rc < 0) {
            delete block;
            return rc;
        }
        block_ = block;
        return 0;
    }

    H* get() const { return block_ ? &block_->handle : nullptr; }
    uv_handle_t* as_handle() const { return reinterpret_cast<uv_handle_t*>(get()); }
    // True while the handle exists and uv_close has not been called on it.
    bool is_open() const { return block_ && !uv_is_closing(as_handle()); }

    // Starts uv_close (once); on_closed runs from the close callback unless this UvHandle is
    // destroyed first. Calling it again while closing replaces the callback.
    void close(std::function<void()> on_closed = {}) {
        if (!block_) return;
        on_closed_ = std::move(on_closed);
        if (!uv_is_closing(as_handle())) uv_close(as_handle(), &UvHandle::on_close);
    }

  private:
    // Standard layout with the handle first, so the close callback can cast back to the Block.
    struct Block {
        H handle{};
        UvHandle* wrapper = nullptr;
    };

    void release() {
        if (!block_) return;
        Block* block = std::exchange(block_, nullptr);
        block->wrapper = nullptr;
        on_closed_ = nullptr;
        block->handle.data = nullptr;
        if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&block->handle))) {
            uv_close(reinterpret_cast<uv_handle_t*>(&block->handle), &UvHandle::on_close);
        }
    }

    static void on_close(uv_handle_t* handle) {
        auto* block = reinterpret_cast<Block*>(handle);
        std::function<void()> on_closed;
        if (block->wrapper) {
            block->wrapper->block_ = nullptr;
            on_closed = std::move(block->wrapper->on_closed_);
        }
        delete block;
        if (on_closed) on_closed();
    }

    Block* block_ = nullptr;
    std::function<void()> on_closed_;
};

}  // namespace mb::net
