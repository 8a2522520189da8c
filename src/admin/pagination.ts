import { type Type as ClassType } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** `?offset=&limit=` on every admin list; items are ordered by name, so pages are stable. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;
}

export interface Page<T> {
  data: T[];
  total: number;
  offset: number;
  limit: number;
  /** Path and query of the following page; null on the last one. */
  next: string | null;
}

export function paginate<T>(items: readonly T[], query: PageQuery, path: string): Page<T> {
  const offset = query.offset ?? 0;
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const following = offset + limit;
  return {
    data: items.slice(offset, following),
    total: items.length,
    offset,
    limit,
    next: following < items.length ? `${path}?offset=${following}&limit=${limit}` : null,
  };
}

/** The OpenAPI schema of a page of `item` (one named class per resource). */
export function PageOf<T>(item: ClassType<T>): ClassType<Page<T>> {
  class PageOfItem implements Page<T> {
    @ApiProperty({ type: [item] }) data!: T[];
    @ApiProperty({ example: 1 }) total!: number;
    @ApiProperty({ example: 0 }) offset!: number;
    @ApiProperty({ example: DEFAULT_PAGE_SIZE }) limit!: number;
    @ApiProperty({
      type: String,
      nullable: true,
      example: null,
      description: 'Path and query of the following page; null on the last one',
    })
    next!: string | null;
  }
  // OpenAPI schemas are named after their class.
  Object.defineProperty(PageOfItem, 'name', { value: `${item.name}Page` });
  return PageOfItem;
}
